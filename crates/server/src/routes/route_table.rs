//! The `/api/v1` route table, with or without the operations' OpenAPI descriptions.
//!
//! Describing an operation runs its generated description code and reads its
//! strings, and describing all of them touches code and text spread over most
//! of the binary: a serving process kept 4.3 MB more of the binary's pages
//! resident for it (27.2 against 22.9 MB, measured idle after start), for a
//! document it only needs when someone asks for it. So the serving router is
//! built bare ([`Descriptions::Left`]) and the document on its first request
//! ([`Descriptions::Included`]). Both go through the same `OpenApiRouter`, so
//! their paths and methods cannot differ.

use crate::state::AppState;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// Whether routes carry their OpenAPI descriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Descriptions {
    /// Operations, parameters and schemas, for the OpenAPI document.
    Included,
    /// Only paths and methods, for serving.
    Left,
}

/// An [`OpenApiRouter`] whose routes are described or not, as it was asked.
pub struct ApiRouter {
    inner: OpenApiRouter<AppState>,
    descriptions: Descriptions,
}

impl ApiRouter {
    pub fn new(descriptions: Descriptions) -> Self {
        Self { inner: OpenApiRouter::new(), descriptions }
    }

    /// Adds the handlers of one [`routes!`] entry.
    pub fn routes(self, entry: impl FnOnce(Descriptions) -> UtoipaMethodRouter<AppState>) -> Self {
        Self { inner: self.inner.routes(entry(self.descriptions)), descriptions: self.descriptions }
    }

    pub fn merge(self, other: OpenApiRouter<AppState>) -> Self {
        Self { inner: self.inner.merge(other), descriptions: self.descriptions }
    }

    pub fn into_inner(self) -> OpenApiRouter<AppState> {
        self.inner
    }
}

/// The routes of handlers that share a path (`module::handler`, as utoipa's
/// `routes!` takes them), as an entry for [`ApiRouter::routes`]: described by
/// utoipa's own macro, or bare, with each handler's path and methods alone.
macro_rules! routes {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        |descriptions: $crate::routes::route_table::Descriptions| -> utoipa_axum::router::UtoipaMethodRouter<$crate::state::AppState> {
            match descriptions {
                $crate::routes::route_table::Descriptions::Included => utoipa_axum::routes!($($module::$handler),+),
                $crate::routes::route_table::Descriptions::Left => {
                    use utoipa_axum::PathItemExt as _;
                    let mut paths = utoipa::openapi::path::Paths::new();
                    #[allow(unused_mut)]
                    let mut method_router = axum::routing::MethodRouter::new();
                    $(
                        utoipa_axum::paste! {
                            let path = <$module::[<__path_ $handler>] as utoipa::Path>::path();
                            let methods = <$module::[<__path_ $handler>] as utoipa::Path>::methods();
                        }
                        method_router = methods
                            .iter()
                            .fold(method_router, |router, method| router.on(method.to_method_filter(), $module::$handler));
                        paths.add_path_operation(&path, methods, utoipa::openapi::path::Operation::new());
                    )+
                    (Vec::new(), paths, method_router)
                }
            }
        }
    };
}
pub(crate) use routes;

#[cfg(test)]
mod tests {
    use super::Descriptions;
    use std::collections::BTreeMap;

    /// Each path with the methods it answers, as a route table declares them.
    fn paths_and_methods(descriptions: Descriptions) -> BTreeMap<String, Vec<String>> {
        let (_, openapi) = crate::routes::api_routes(1024, descriptions).split_for_parts();
        let item_methods = |item: &utoipa::openapi::PathItem| {
            let operations = [
                ("get", &item.get),
                ("put", &item.put),
                ("post", &item.post),
                ("delete", &item.delete),
                ("options", &item.options),
                ("head", &item.head),
                ("patch", &item.patch),
                ("trace", &item.trace),
            ];
            operations.iter().filter(|(_, op)| op.is_some()).map(|(m, _)| m.to_string()).collect()
        };
        openapi.paths.paths.iter().map(|(path, item)| (path.clone(), item_methods(item))).collect()
    }

    #[test]
    fn the_bare_table_serves_every_described_path_and_method_and_no_other() {
        let described = paths_and_methods(Descriptions::Included);
        let bare = paths_and_methods(Descriptions::Left);
        assert!(described.len() > 100, "the described table has the API's paths: {}", described.len());
        assert_eq!(bare, described);
        // The bare table carries no descriptions: no schemas, no operation ids.
        let (_, openapi) = crate::routes::api_routes(1024, Descriptions::Left).split_for_parts();
        assert!(openapi.components.is_none_or(|c| c.schemas.is_empty()));
        assert!(openapi.paths.paths.values().all(|item| item.get.as_ref().is_none_or(|op| op.operation_id.is_none())));
    }
}
