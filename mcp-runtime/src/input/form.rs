//! The `requestedSchema` of a form elicitation, derived from a Rust type and
//! held to what the spec lets a client render: one flat object whose
//! properties are strings (with `format` email, uri, date or date-time and
//! length bounds), numbers and integers (with bounds), booleans, single-
//! select enums (`enum`, or SEP-1330's titled `oneOf` of `const`s) and
//! multi-select arrays of such enums; every one may carry a SEP-1034
//! `default`. Anything else is refused with the property and the reason.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Mutex;

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use crate::schema::{inline, input_settings, plain_optionals};

/// A type `ctx.elicit::<T>` may ask: a struct with named fields whose every
/// field is one a form can hold. Implement it with `#[derive(ElicitForm)]`,
/// which checks each field as it compiles.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an elicitation form",
    label = "not a form: add `#[derive(ElicitForm)]` to it",
    note = "a form is a struct with named fields deriving `ElicitForm`, `Deserialize` and `JsonSchema`"
)]
pub trait ElicitForm {}

/// What a field of an elicitation form may be (checked by `#[derive(ElicitForm)]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of an elicitation form",
    label = "not a form field",
    note = "a form field is a `String`, `bool`, integer or float, a unit-only enum deriving `ElicitForm` (single-select), a `Vec` of such an enum (multi-select), or an `Option` of one of these",
    note = "a form is flat: nested structs, maps, tuples and lists of anything but a choice enum cannot be asked"
)]
pub trait FormField {}

/// A unit-only enum deriving `ElicitForm`: a choice, single or (in a `Vec`) multi-select.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a choice enum of an elicitation form",
    label = "a list in a form is a multi-select of a unit-only enum deriving `ElicitForm`",
    note = "derive `ElicitForm` on a unit-only enum to make it a choice"
)]
pub trait FormEnum {}

macro_rules! form_scalars {
    ($($t:ty),*) => {$(
        impl FormField for $t {}
        impl FormField for Option<$t> {}
    )*};
}
form_scalars!(
    String, bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);
impl<E: FormEnum> FormField for Option<E> {}
impl<E: FormEnum> FormField for Vec<E> {}
impl<E: FormEnum> FormField for Option<Vec<E>> {}

/// The `requestedSchema` for `T`, derived once per type.
pub(crate) fn requested_schema<T: JsonSchema + 'static>() -> Result<Value, String> {
    static CACHE: Mutex<Option<HashMap<TypeId, Result<Value, String>>>> = Mutex::new(None);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .get_or_insert_with(HashMap::new)
        .entry(TypeId::of::<T>())
        .or_insert_with(|| {
            let schema = input_settings()
                .into_generator()
                .into_root_schema_for::<T>();
            restrict(schema.to_value())
                .map_err(|e| format!("`{}` cannot be elicited: {e}", std::any::type_name::<T>()))
        })
        .clone()
}

const STRING_KEYS: &[&str] = &["format", "minLength", "maxLength", "pattern", "enumNames"];
const NUMBER_KEYS: &[&str] = &["minimum", "maximum"];
const COMMON_KEYS: &[&str] = &["type", "title", "description", "default"];
const FORMATS: &[&str] = &["email", "uri", "date", "date-time"];

/// Keep the allowed subset of a derived schema, or say what is outside it.
pub(crate) fn restrict(schema: Value) -> Result<Value, String> {
    let mut schema = inline(schema)?;
    plain_optionals(&mut schema);
    let obj = schema
        .as_object()
        .filter(|o| o.get("type") == Some(&json!("object")))
        .ok_or("a form is an object with named fields (a struct)")?;
    let props = obj
        .get("properties")
        .and_then(Value::as_object)
        .ok_or("a form needs at least one field")?;
    let mut out_props = Map::new();
    for (name, prop) in props {
        out_props.insert(
            name.clone(),
            property(prop).map_err(|e| format!("field `{name}`: {e}"))?,
        );
    }
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(out_props));
    if let Some(req) = obj
        .get("required")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.insert("required".into(), req.clone());
    }
    Ok(Value::Object(out))
}

fn property(prop: &Value) -> Result<Value, String> {
    let p = prop.as_object().ok_or("not a schema")?;
    let mut out = Map::new();
    for k in ["title", "description", "default"] {
        if let Some(v) = p.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    // A single-select enum: `enum` of strings, or a titled `oneOf`/`anyOf` of consts.
    if let Some(options) = titled_options(p) {
        out.insert("type".into(), json!("string"));
        out.insert("oneOf".into(), Value::Array(options?));
        return Ok(Value::Object(out));
    }
    let ty = p.get("type").and_then(Value::as_str).ok_or(
        "only strings, numbers, integers, booleans, enums and lists of enums can be asked",
    )?;
    let allowed: &[&str] = match ty {
        "string" => {
            if let Some(e) = p.get("enum") {
                strings(e).ok_or("enum values must be strings")?;
                out.insert("enum".into(), e.clone());
            }
            if let Some(f) = p.get("format").and_then(Value::as_str)
                && !FORMATS.contains(&f)
            {
                return Err(format!(
                    "format `{f}` is not one a form has (email, uri, date, date-time)"
                ));
            }
            STRING_KEYS
        }
        "number" | "integer" => NUMBER_KEYS,
        "boolean" => &[],
        "array" => {
            let items = p
                .get("items")
                .and_then(Value::as_object)
                .ok_or("a list must be of enum values")?;
            let items = match titled_options(items) {
                Some(options) => json!({ "anyOf": options? }),
                None => match items.get("enum").filter(|e| strings(e).is_some()) {
                    Some(e) => json!({ "type": "string", "enum": e }),
                    None => return Err("a list must be of enum values (multi-select)".into()),
                },
            };
            out.insert("items".into(), items);
            &["minItems", "maxItems"]
        }
        "object" => return Err("a form is flat: nested objects cannot be asked".into()),
        other => return Err(format!("type `{other}` cannot be asked")),
    };
    out.insert("type".into(), json!(ty));
    for (k, v) in p {
        if allowed.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        } else if !COMMON_KEYS.contains(&k.as_str()) && k != "enum" && k != "items" {
            // `format: "int32"` and the like from schemars: bounds, not a form feature.
            if k == "format" || k.starts_with("x-") {
                continue;
            }
            return Err(format!("`{k}` is not part of a form field"));
        }
    }
    if ty != "string" {
        out.remove("format");
    }
    Ok(Value::Object(out))
}

/// `oneOf`/`anyOf` of `{const, title|description}`: SEP-1330's titled options.
fn titled_options(p: &Map<String, Value>) -> Option<Result<Vec<Value>, String>> {
    let branches = p.get("oneOf").or_else(|| p.get("anyOf"))?.as_array()?;
    Some(
        branches
            .iter()
            .map(|b| {
                let c = b
                    .get("const")
                    .filter(|c| c.is_string())
                    .or_else(|| {
                        b.get("enum")
                            .and_then(Value::as_array)
                            .filter(|e| e.len() == 1 && e[0].is_string())
                            .map(|e| &e[0])
                    })
                    .ok_or("every option must be a string constant")?;
                let title = b
                    .get("title")
                    .or_else(|| b.get("description"))
                    .cloned()
                    .unwrap_or_else(|| c.clone());
                Ok(json!({ "const": c, "title": title }))
            })
            .collect(),
    )
}

fn strings(v: &Value) -> Option<()> {
    v.as_array()?.iter().all(Value::is_string).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    enum Size {
        Small,
        Large,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    enum Colour {
        /// Bright red
        Red,
        /// Deep blue
        Blue,
    }

    /// A form.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Form {
        /// Your name.
        name: String,
        #[serde(default = "twenty")]
        age: u32,
        #[schemars(email)]
        email: Option<String>,
        size: Size,
        colour: Colour,
        #[schemars(length(max = 2))]
        extras: Vec<Size>,
        ok: bool,
    }

    fn twenty() -> u32 {
        20
    }

    #[test]
    fn a_flat_struct_becomes_a_form() {
        let s = requested_schema::<Form>().unwrap();
        assert_eq!(s["type"], "object");
        assert_eq!(
            s["properties"]["name"],
            json!({"type": "string", "description": "Your name."})
        );
        assert_eq!(s["properties"]["age"]["type"], "integer");
        assert_eq!(s["properties"]["age"]["default"], 20);
        assert_eq!(
            s["properties"]["email"],
            json!({"type": "string", "format": "email"})
        );
        assert_eq!(
            s["properties"]["size"],
            json!({"type": "string", "enum": ["Small", "Large"]})
        );
        assert_eq!(
            s["properties"]["colour"]["oneOf"],
            json!([{"const": "Red", "title": "Bright red"}, {"const": "Blue", "title": "Deep blue"}])
        );
        assert_eq!(
            s["properties"]["extras"],
            json!({"type": "array", "items": {"type": "string", "enum": ["Small", "Large"]}, "maxItems": 2})
        );
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            required.contains(&"name")
                && !required.contains(&"email")
                && !required.contains(&"age")
        );
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        a: String,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        inner: Inner,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Numbers {
        list: Vec<u32>,
    }

    #[test]
    fn what_a_form_cannot_hold_is_refused_with_the_field() {
        let e = requested_schema::<Nested>().unwrap_err();
        assert!(
            e.contains("field `inner`") && e.contains("nested objects"),
            "{e}"
        );
        let e = requested_schema::<Numbers>().unwrap_err();
        assert!(
            e.contains("field `list`") && e.contains("enum values"),
            "{e}"
        );
        let e = requested_schema::<String>().unwrap_err();
        assert!(e.contains("a struct"), "{e}");
    }
}
