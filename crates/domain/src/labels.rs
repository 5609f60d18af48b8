//! Closed vocabularies: each value has a stable English code (API, storage) and the Chinese label
//! users read. JSON input accepts either, so forms and scripts written in Chinese work too.

/// Defines a closed vocabulary enum with `code()`, `label()`, `ALL` and serde/OpenAPI support.
/// Each variant: `Variant = "code" / "中文" [, "alias"...]`.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal / $label:literal $(, $alias:literal)*;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code, alias = $label $(, alias = $alias)*)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Reads a stored code or a Chinese label.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($code | $label $(| $alias)* => Some($name::$variant),)+ _ => None }
            }
        }

        // The schema by hand: the derive would publish the variant names, not the codes the
        // server accepts and emits.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let labels: &[&str] = &[$(concat!($code, " = ", $label)),+];
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .description(Some(format!("代码：{}（请求中也接受对应的中文名称）", labels.join("，"))))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
