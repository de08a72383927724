//! The permission policy: the one place that decides who may do what to whom
//! inside an organisation (docs/PERMISSIONS.md is its prose form). The server
//! asks these functions for every organisation-scoped request; nothing else
//! grants access.

use crate::{OrgId, RelationshipKind, Role, ids::PersonId, model::Relationship};
use std::collections::HashSet;

/// Who is acting, as seen from one organisation.
#[derive(Clone, Debug)]
pub struct OrgActor {
    pub org: OrgId,
    pub person: PersonId,
    /// The actor's role here; `None` for an operator who is not a member.
    pub role: Option<Role>,
    /// Instance operators act as administrators of every organisation.
    pub is_operator: bool,
}

impl OrgActor {
    /// True when the actor administers this organisation (admin role or operator).
    pub fn is_admin(&self) -> bool {
        self.is_operator || self.role == Some(Role::Admin)
    }
}

/// Organisation-level actions that need a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgAction {
    /// Read the organisation's name and settings.
    ViewOrganisation,
    /// Rename or reconfigure the organisation.
    UpdateOrganisation,
    /// List the members one may see.
    ListMembers,
    /// Change a member's role or remove a member.
    ManageMembers,
    /// Create, list and revoke invitations.
    ManageInvitations,
    /// List the relationships one may see.
    ViewRelationships,
    /// Create and delete relationships.
    ManageRelationships,
    /// Read the organisation's audit log.
    ViewAuditLog,
    /// Search the knowledge base and read its collections and documents.
    SearchKnowledge,
    /// Create, change and delete collections; upload and delete documents; follow ingestion jobs.
    ManageKnowledge,
    /// Talk to the organisation's coaches and read their profiles.
    UseCoach,
    /// Create, change and delete coach profiles; set budgets.
    ManageCoaches,
    /// Read the organisation's published programs and their concepts.
    ViewPrograms,
    /// Author programs (drafts, concepts, prerequisites, import, publish, archive).
    ManagePrograms,
    /// Read, write, generate and review practice questions (answers included).
    ManageQuestions,
    /// Bring in a coach with a training program and a manager.
    ProvisionCoaches,
    /// Read the organisation's overview: activity, answers, feedback, costs, knowledge, programs.
    ViewOrgInsights,
    /// Set up the organisation's messaging channels (bots, numbers, their secrets).
    ManageChannels,
    /// Write the organisation's nudge rules and evaluate them.
    ManageNudges,
    /// Write sequences of scheduled steps and enrol people in them (coaches: their own learners).
    ManageSequences,
    /// Write guided-interview flows (and read the built-in templates).
    ManageInterviewFlows,
    /// Export a member's data on their request, erase a member who belongs to no other
    /// organisation, set how long data is kept and what chat models may see of people.
    ManagePersonalData,
}

/// Whether `actor` may perform `action` in its organisation at all; which
/// records it then sees is decided by [`visible_people`].
pub fn permits(actor: &OrgActor, action: OrgAction) -> bool {
    use OrgAction::*;
    match action {
        ViewOrganisation | ListMembers | ViewRelationships | SearchKnowledge | UseCoach | ViewPrograms => {
            actor.role.is_some() || actor.is_operator
        }
        UpdateOrganisation | ManageMembers | ManageInvitations | ManageRelationships | ViewAuditLog
        | ManageKnowledge | ManageCoaches | ManagePrograms | ProvisionCoaches | ViewOrgInsights | ManageChannels
        | ManageNudges | ManagePersonalData => actor.is_admin(),
        ManageQuestions | ManageSequences | ManageInterviewFlows => actor.is_admin() || actor.role == Some(Role::Coach),
    }
}

/// The people whose records an actor may read inside the organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Administrators see every member.
    Everyone,
    /// Everyone else sees exactly these people.
    Only(HashSet<PersonId>),
}

impl Visibility {
    /// Whether `person` is visible.
    pub fn includes(&self, person: PersonId) -> bool {
        match self {
            Visibility::Everyone => true,
            Visibility::Only(set) => set.contains(&person),
        }
    }
}

/// The learners (and, for managers, coaches) an actor is responsible for:
/// a coach's assigned learners, a parent's linked learners, a manager's coaches
/// and those coaches' learners. `nearby` must hold every relationship that
/// touches the actor plus those of the coaches a manager oversees.
pub fn supervised_people(actor: &OrgActor, nearby: &[Relationship]) -> HashSet<PersonId> {
    let direct = |kind: RelationshipKind, from: PersonId| {
        nearby.iter().filter(move |r| r.kind == kind && r.from_person == from).map(|r| r.to_person)
    };
    match actor.role {
        Some(Role::Coach) => direct(RelationshipKind::CoachLearner, actor.person).collect(),
        Some(Role::Parent) => direct(RelationshipKind::ParentLearner, actor.person).collect(),
        Some(Role::Manager) => {
            let coaches: HashSet<PersonId> = direct(RelationshipKind::ManagerCoach, actor.person).collect();
            let learners = coaches.iter().flat_map(|c| direct(RelationshipKind::CoachLearner, *c));
            learners.chain(coaches.iter().copied()).collect()
        }
        Some(Role::Learner) | Some(Role::Admin) | None => HashSet::new(),
    }
}

/// Everyone whose profile and membership the actor may read: administrators
/// see all; others see themselves, the people they supervise, and the people
/// directly related to them (a learner sees their coaches and parents).
pub fn visible_people(actor: &OrgActor, nearby: &[Relationship]) -> Visibility {
    if actor.is_admin() {
        return Visibility::Everyone;
    }
    let mut set = supervised_people(actor, nearby);
    set.insert(actor.person);
    set.extend(nearby.iter().filter(|r| r.to_person == actor.person).map(|r| r.from_person));
    Visibility::Only(set)
}

/// Whether the actor may read a relationship: admins see all, others those
/// whose both ends they can see.
pub fn may_view_relationship(visibility: &Visibility, relationship: &Relationship) -> bool {
    visibility.includes(relationship.from_person) && visibility.includes(relationship.to_person)
}

/// Whether the actor may read a conversation owned by `owner`: its owner;
/// administrators; the owner's coaches and the managers above them. Parents
/// follow progress, not private conversations: they may read them only when
/// `parents_allowed` (the organisation allows it and the learner agreed).
pub fn may_read_conversation(
    actor: &OrgActor,
    owner: PersonId,
    supervised: &HashSet<PersonId>,
    parents_allowed: bool,
) -> bool {
    actor.person == owner
        || actor.is_admin()
        || matches!(actor.role, Some(Role::Coach | Role::Manager)) && supervised.contains(&owner)
        || actor.role == Some(Role::Parent) && parents_allowed && supervised.contains(&owner)
}

/// Whether the actor may join someone's conversation live and write in it as themselves (the AI
/// pausing meanwhile): administrators, and the coaches and managers who supervise its owner.
pub fn may_join_conversation(actor: &OrgActor, owner: PersonId, supervised: &HashSet<PersonId>) -> bool {
    actor.person != owner
        && (actor.is_admin() || matches!(actor.role, Some(Role::Coach | Role::Manager)) && supervised.contains(&owner))
}

/// Whether the actor may read a learner's progress (enrolments, mastery,
/// evidence, goals, paths, reviews): the learner; administrators; the
/// learner's coaches and parents, and the managers above those coaches.
pub fn may_read_progress(actor: &OrgActor, learner: PersonId, supervised: &HashSet<PersonId>) -> bool {
    actor.person == learner
        || actor.is_admin()
        || matches!(actor.role, Some(Role::Coach | Role::Parent | Role::Manager)) && supervised.contains(&learner)
}

/// Whether the actor may guide a learner's learning (enrol them, record
/// graded evidence, mark a concept demonstrated, set goals): administrators
/// and the learner's coaches. Learners do not grade themselves.
pub fn may_guide_learner(actor: &OrgActor, learner: PersonId, supervised: &HashSet<PersonId>) -> bool {
    actor.is_admin() || actor.role == Some(Role::Coach) && supervised.contains(&learner)
}

/// Whether the actor may set and remove a learner's goals: the learner and
/// those who guide them.
pub fn may_set_goals(actor: &OrgActor, learner: PersonId, supervised: &HashSet<PersonId>) -> bool {
    actor.person == learner || may_guide_learner(actor, learner, supervised)
}

/// Whether the actor may practise as a learner (start sessions, answer their questions): the
/// learner alone, since every answer is evidence about them.
pub fn may_practise_as(actor: &OrgActor, learner: PersonId) -> bool {
    actor.person == learner
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RelationshipId;
    use chrono::Utc;

    fn rel(org: OrgId, kind: RelationshipKind, from: PersonId, to: PersonId) -> Relationship {
        Relationship {
            id: RelationshipId::new(),
            org_id: org,
            kind,
            from_person: from,
            to_person: to,
            created_at: Utc::now(),
        }
    }

    fn actor(org: OrgId, person: PersonId, role: Role) -> OrgActor {
        OrgActor { org, person, role: Some(role), is_operator: false }
    }

    #[test]
    fn visibility_follows_relationships() {
        let org = OrgId::new();
        let [manager, coach, other_coach, learner, other_learner, parent] = [(); 6].map(|_| PersonId::new());
        let rels = vec![
            rel(org, RelationshipKind::ManagerCoach, manager, coach),
            rel(org, RelationshipKind::CoachLearner, coach, learner),
            rel(org, RelationshipKind::CoachLearner, other_coach, other_learner),
            rel(org, RelationshipKind::ParentLearner, parent, learner),
        ];
        let sees = |a: &OrgActor, p: PersonId| visible_people(a, &rels).includes(p);

        let m = actor(org, manager, Role::Manager);
        assert!(sees(&m, coach) && sees(&m, learner) && sees(&m, manager));
        assert!(!sees(&m, other_coach) && !sees(&m, other_learner) && !sees(&m, parent));

        let c = actor(org, coach, Role::Coach);
        assert!(sees(&c, learner) && sees(&c, manager));
        assert!(!sees(&c, other_learner) && !sees(&c, parent));
        assert_eq!(supervised_people(&c, &rels), HashSet::from([learner]));

        let p = actor(org, parent, Role::Parent);
        assert!(sees(&p, learner) && !sees(&p, coach) && !sees(&p, other_learner));

        let l = actor(org, learner, Role::Learner);
        assert!(sees(&l, learner) && sees(&l, coach) && sees(&l, parent));
        assert!(!sees(&l, other_learner) && !sees(&l, manager));
        assert!(supervised_people(&l, &rels).is_empty());

        let admin = actor(org, PersonId::new(), Role::Admin);
        assert_eq!(visible_people(&admin, &rels), Visibility::Everyone);
    }

    #[test]
    fn only_admins_and_operators_manage() {
        let org = OrgId::new();
        for role in Role::ALL {
            let a = actor(org, PersonId::new(), role);
            assert!(permits(&a, OrgAction::ViewOrganisation));
            assert_eq!(permits(&a, OrgAction::ManageInvitations), role == Role::Admin, "{role}");
            assert_eq!(permits(&a, OrgAction::ViewAuditLog), role == Role::Admin, "{role}");
        }
        let operator = OrgActor { org, person: PersonId::new(), role: None, is_operator: true };
        assert!(permits(&operator, OrgAction::ManageMembers));
        let stranger = OrgActor { org, person: PersonId::new(), role: None, is_operator: false };
        assert!(!permits(&stranger, OrgAction::ViewOrganisation));
    }
}
