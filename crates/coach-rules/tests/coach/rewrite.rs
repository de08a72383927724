use wayfinder_coach_rules::rewrite::MAX_REWRITE_CHARS;
use wayfinder_coach_rules::{Role, Turn, clean_rewrite, needs_rewrite, rewrite_prompt, standalone_question};

fn spaced_history() -> Vec<Turn> {
    vec![
        Turn::user("How does spaced repetition work?"),
        Turn::assistant("You review material at increasing intervals, just before you forget it [1]."),
    ]
}

#[test]
fn follow_ups_need_rewriting() {
    let history = spaced_history();
    for question in [
        "Why does it help?",
        "Why?",
        "Tell me more",
        "What about flashcards?",
        "And for vocabulary in a foreign language?",
        "Does that work for math too?",
        "How do I apply this technique to my math homework?",
        "Can you explain that again more simply?",
        "Are they better than rereading my notes?",
        "Also, how often should I review?",
    ] {
        assert!(needs_rewrite(question, &history), "{question}");
    }
}

#[test]
fn standalone_questions_do_not() {
    let history = spaced_history();
    for question in [
        "How should I give feedback to a struggling learner?",
        "What are techniques that help with focus in the morning?",
        "Is it better to study math problems in the morning or evening?",
        "What is the Cornell method of note-taking?",
    ] {
        assert!(!needs_rewrite(question, &history), "{question}");
    }
}

#[test]
fn nothing_needs_rewriting_at_the_start_of_a_conversation() {
    assert!(!needs_rewrite("Why does it help?", &[]));
    assert!(!needs_rewrite("Why does it help?", &[Turn::assistant("Hi! I'm your study coach.")]));
    assert_eq!(standalone_question("Why does it help?", &[]), "Why does it help?");
}

#[test]
fn a_follow_up_gets_the_topic_of_the_earlier_question() {
    let query = standalone_question("Why does it help?", &spaced_history());
    assert!(query.contains("spaced repetition"), "{query}");
    assert!(query.contains("help"), "{query}");
    assert_eq!(query, "Why does it help? (spaced repetition)");
}

#[test]
fn a_standalone_question_is_left_as_it_is() {
    let question = "How should I give feedback to a struggling learner?";
    assert_eq!(standalone_question(question, &spaced_history()), question);
}

#[test]
fn words_the_question_already_has_are_not_appended() {
    let history = vec![Turn::user("How do flashcards help with vocabulary?")];
    let query = standalone_question("What about flashcards for formulas?", &history);
    assert_eq!(query, "What about flashcards for formulas? (vocabulary)");
}

#[test]
fn chains_of_follow_ups_reach_back_to_the_question_that_set_the_topic() {
    let mut history = spaced_history();
    history.push(Turn::user("Why does it help?"));
    history.push(Turn::assistant("Each effortful retrieval strengthens the memory [2]."));
    let query = standalone_question("Can you give an example?", &history);
    assert!(query.contains("spaced repetition"), "{query}");
}

#[test]
fn only_a_few_words_are_appended() {
    let history = vec![Turn::user(
        "I keep forgetting organic chemistry reaction mechanisms, biology vocabulary, history dates, \
         statistics formulas and Spanish irregular verbs before exams",
    )];
    let query = standalone_question("Why does that happen?", &history);
    let appended = query.strip_prefix("Why does that happen? (").unwrap().trim_end_matches(')');
    assert!(appended.split_whitespace().count() <= 8, "{query}");
    assert!(appended.contains("organic chemistry"), "{query}");
}

#[test]
fn the_model_is_asked_for_one_standalone_question() {
    let messages = rewrite_prompt("Why does it help?", &spaced_history());
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].0, Role::System);
    assert!(messages[0].1.contains("standalone"));
    assert!(messages[0].1.contains("Do not answer"));
    let user = &messages[1].1;
    assert!(user.contains("Learner: How does spaced repetition work?"));
    assert!(user.contains("Coach: You review material at increasing intervals, just before you forget it."));
    assert!(!user.contains("[1]"), "earlier citations are noise for a rewrite");
    assert!(user.contains("Latest message: Why does it help?"));
    assert!(user.trim_end().ends_with("Standalone question:"));
}

#[test]
fn long_or_old_history_is_cut_for_the_rewrite() {
    let mut history: Vec<Turn> = (0..10).map(|i| Turn::user(format!("Old question number {i}?"))).collect();
    history.push(Turn::assistant("x".repeat(2000)));
    let user = &rewrite_prompt("And then?", &history)[1].1;
    assert!(!user.contains("number 0?") && user.contains("number 9?"));
    assert!(user.len() < 1500, "{} bytes", user.len());
    assert!(user.contains('…'));
}

#[test]
fn model_rewrites_are_cleaned() {
    let expected = Some("Why does spaced repetition help memory?".to_string());
    for output in [
        "Why does spaced repetition help memory?",
        "  \"Why does spaced repetition help memory?\"  ",
        "Standalone question: Why does spaced repetition help memory?",
        "Standalone question:\nWhy does spaced repetition help memory?",
        "**Rewritten question:** “Why does spaced repetition help memory?”",
        "Sure! Here is the standalone question: Why does spaced repetition help memory?",
        "<think>The user means spaced repetition.</think>\nWhy does spaced repetition help memory?",
        "- Why does spaced repetition help memory?",
    ] {
        assert_eq!(clean_rewrite(output), expected, "{output:?}");
    }
}

#[test]
fn unusable_rewrites_are_rejected() {
    assert_eq!(clean_rewrite(""), None);
    assert_eq!(clean_rewrite("   \n  "), None);
    assert_eq!(clean_rewrite("Standalone question:"), None);
    assert_eq!(clean_rewrite("\"\""), None);
    assert_eq!(clean_rewrite("<think>Still reasoning about what the user"), None, "cut off mid-thought");
    assert_eq!(clean_rewrite(&format!("Why {}?", "really ".repeat(MAX_REWRITE_CHARS / 7 + 1))), None);
}
