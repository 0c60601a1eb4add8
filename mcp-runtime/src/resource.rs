//! The resources and resource templates of the binary, collected once from
//! `#[mcp_resource]` registrations: checked, sorted, and their `resources/list`
//! and `resources/templates/list` entries built.
//!
//! A `resources/read` URI is looked up among the static URIs first, then
//! matched against the templates in the order `resources/templates/list`
//! shows them (sorted by template); the first that matches reads it.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value, json};

use crate::__private::{ResourceDescriptor, ResourceUri, TemplateMatch};
use crate::auth::INJECTED;

/// One registered resource or template, with its list entry.
pub struct ResourceInfo {
    pub(crate) desc: &'static ResourceDescriptor,
    template: Option<UriTemplate>,
    definition: Value,
}

impl ResourceInfo {
    /// Its URI, or its URI template.
    pub fn uri(&self) -> &'static str {
        match self.desc.uri {
            ResourceUri::Static(u) | ResourceUri::Template(u) => u,
        }
    }

    /// Whether it is a template.
    pub fn is_template(&self) -> bool {
        self.template.is_some()
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.desc.name
    }

    /// The OAuth scopes a caller must hold to see and read it (all of them).
    pub fn scopes(&self) -> &'static [&'static str] {
        self.desc.scopes
    }

    /// The completer of the template variable `var`, if it has one.
    pub(crate) fn completer(&self, var: &str) -> Option<crate::__private::CompleteFn> {
        self.desc
            .complete
            .iter()
            .find(|(v, _)| *v == var)
            .map(|(_, f)| *f)
    }

    /// Whether any of its variables has a completer.
    pub(crate) fn completes(&self) -> bool {
        !self.desc.complete.is_empty()
    }

    /// Its description.
    pub fn description(&self) -> &'static str {
        self.desc.description
    }

    /// The resource as `resources/list` (or `resources/templates/list`) shows it.
    pub fn definition(&self) -> &Value {
        &self.definition
    }

    /// The template's variable names, in order (empty for a static resource).
    pub fn variables(&self) -> Vec<&'static str> {
        self.template
            .as_ref()
            .map(UriTemplate::variables)
            .unwrap_or_default()
    }

    /// Where it is defined: `file:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.desc.file, self.desc.line)
    }
}

impl fmt::Debug for ResourceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceInfo")
            .field("uri", &self.uri())
            .field("location", &self.location())
            .finish_non_exhaustive()
    }
}

/// The resources and templates a server serves.
#[derive(Default)]
pub struct Resources {
    statics: Vec<ResourceInfo>,
    by_uri: HashMap<&'static str, usize>,
    templates: Vec<ResourceInfo>,
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.statics.iter().chain(&self.templates).map(|r| r.uri()))
            .finish()
    }
}

fn problem(d: &ResourceDescriptor, msg: impl fmt::Display) -> String {
    let uri = match d.uri {
        ResourceUri::Static(u) | ResourceUri::Template(u) => u,
    };
    format!("{}:{}: resource `{uri}`: {msg}", d.file, d.line)
}

impl Resources {
    /// Every resource registered with `#[mcp_resource]` in this binary.
    pub(crate) fn from_inventory() -> Result<Resources, Vec<String>> {
        Resources::build(inventory::iter::<ResourceDescriptor>)
    }

    /// The resources of the given descriptors; all problems reported together.
    pub(crate) fn build(
        descriptors: impl IntoIterator<Item = &'static ResourceDescriptor>,
    ) -> Result<Resources, Vec<String>> {
        let mut problems = Vec::new();
        let mut statics = Vec::new();
        let mut templates = Vec::new();
        for d in descriptors {
            match ResourceInfo::build(d) {
                Ok(r) if r.is_template() => templates.push(r),
                Ok(r) => statics.push(r),
                Err(mut p) => problems.append(&mut p),
            }
        }
        for list in [&mut statics, &mut templates] {
            list.sort_by(|a, b| {
                a.uri()
                    .cmp(b.uri())
                    .then(a.desc.file.cmp(b.desc.file))
                    .then(a.desc.line.cmp(&b.desc.line))
            });
            for pair in list.windows(2) {
                if pair[0].uri() == pair[1].uri() {
                    problems.push(problem(
                        pair[1].desc,
                        format_args!("defined twice; also at {}", pair[0].location()),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let by_uri = statics
            .iter()
            .enumerate()
            .map(|(i, r)| (r.uri(), i))
            .collect();
        Ok(Resources {
            statics,
            by_uri,
            templates,
        })
    }

    /// The static resources, sorted by URI.
    pub fn resources(&self) -> &[ResourceInfo] {
        &self.statics
    }

    /// The templates, sorted by template.
    pub fn templates(&self) -> &[ResourceInfo] {
        &self.templates
    }

    /// Whether there are no resources and no templates.
    pub fn is_empty(&self) -> bool {
        self.statics.is_empty() && self.templates.is_empty()
    }

    /// The resource or template whose `uri` (or template) is exactly `uri`,
    /// as a `ref/resource` of `completion/complete` names it.
    pub(crate) fn by_declared_uri(&self, uri: &str) -> Option<&ResourceInfo> {
        self.templates
            .iter()
            .find(|r| r.uri() == uri)
            .or_else(|| self.by_uri.get(uri).map(|&i| &self.statics[i]))
    }

    /// The resource that reads `uri`, and the template's variables.
    pub(crate) fn find(&self, uri: &str) -> Option<(&ResourceInfo, TemplateMatch)> {
        if let Some(&i) = self.by_uri.get(uri) {
            return Some((&self.statics[i], TemplateMatch::default()));
        }
        self.templates.iter().find_map(|r| {
            let t = r.template.as_ref()?;
            t.matches(uri).map(|m| (r, m))
        })
    }
}

impl ResourceInfo {
    fn build(d: &'static ResourceDescriptor) -> Result<ResourceInfo, Vec<String>> {
        let mut problems = Vec::new();
        let template = match d.uri {
            ResourceUri::Static(uri) => {
                if let Err(why) = check_uri(uri) {
                    problems.push(problem(d, why));
                }
                None
            }
            ResourceUri::Template(t) => match UriTemplate::parse(t) {
                Ok(t) => {
                    for v in t.variables() {
                        if INJECTED.contains(&v) {
                            problems.push(problem(
                                d,
                                format_args!(
                                    "the template variable `{v}` would let a caller choose it; \
                                     the tenant of a read comes from the server (`ToolContext::tenant_id()`)"
                                ),
                            ));
                        }
                    }
                    Some(t)
                }
                Err(why) => {
                    problems.push(problem(d, why));
                    None
                }
            },
        };
        let vars = template
            .as_ref()
            .map(UriTemplate::variables)
            .unwrap_or_default();
        for (v, _) in d.complete.iter().filter(|(v, _)| !vars.contains(v)) {
            problems.push(problem(
                d,
                format_args!(
                    "a completer is given for `{v}`, which is not a variable of the template"
                ),
            ));
        }
        if d.name.trim().is_empty() {
            problems.push(problem(d, "name is empty"));
        }
        if d.description.trim().is_empty() {
            problems.push(problem(
                d,
                "description is empty; say what the resource holds",
            ));
        }
        if let Some(p) = d.priority
            && !(0.0..=1.0).contains(&p)
        {
            problems.push(problem(d, "priority must be between 0 and 1"));
        }
        if let Some(a) = d
            .audience
            .iter()
            .find(|a| !matches!(**a, "user" | "assistant"))
        {
            problems.push(problem(
                d,
                format_args!("audience `{a}` is not `user` or `assistant`"),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let definition = definition(d);
        Ok(ResourceInfo {
            desc: d,
            template,
            definition,
        })
    }
}

fn definition(d: &ResourceDescriptor) -> Value {
    let mut m = Map::new();
    match d.uri {
        ResourceUri::Static(u) => m.insert("uri".into(), json!(u)),
        ResourceUri::Template(t) => m.insert("uriTemplate".into(), json!(t)),
    };
    m.insert("name".into(), json!(d.name));
    if let Some(t) = d.title {
        m.insert("title".into(), json!(t));
    }
    m.insert("description".into(), json!(d.description));
    if let Some(mt) = d.mime_type {
        m.insert("mimeType".into(), json!(mt));
    }
    if let (Some(size), ResourceUri::Static(_)) = (d.size, d.uri) {
        m.insert("size".into(), json!(size));
    }
    let mut ann = Map::new();
    if !d.audience.is_empty() {
        ann.insert("audience".into(), json!(d.audience));
    }
    if let Some(p) = d.priority {
        ann.insert("priority".into(), json!(p));
    }
    if !ann.is_empty() {
        m.insert("annotations".into(), Value::Object(ann));
    }
    if !d.scopes.is_empty() {
        m.insert(
            "_meta".into(),
            json!({ crate::jsonrpc::TOOL_SCOPES_META: d.scopes }),
        );
    }
    Value::Object(m)
}

/// Why `uri` is not an absolute URI a resource may have: a scheme, then no
/// whitespace, controls or braces.
pub(crate) fn check_uri(uri: &str) -> Result<(), String> {
    let Some((scheme, _)) = uri.split_once(':') else {
        return Err("a resource URI needs a scheme, e.g. `shop://policies/returns`".into());
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(format!(
            "`{scheme}` is not a URI scheme (a letter, then letters, digits, `+`, `-` or `.`)"
        ));
    }
    if let Some(c) = uri.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "a resource URI cannot contain {c:?}; percent-encode it"
        ));
    }
    if uri.contains(['{', '}']) {
        return Err(
            "a resource URI cannot contain `{` or `}`; for a template use `uri_template`".into(),
        );
    }
    Ok(())
}

/// An RFC 6570 level-1 template: literal text and `{var}` expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UriTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(&'static str),
    Var(&'static str),
}

impl UriTemplate {
    /// The template, or why it is not one this server can match.
    pub(crate) fn parse(t: &'static str) -> Result<UriTemplate, String> {
        check_uri(&t.replace(['{', '}'], ""))
            .map_err(|e| e.replace("resource URI", "URI template"))?;
        let mut parts = Vec::new();
        let mut rest = t;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Literal(rest));
                    rest = "";
                }
                Some(i) if rest.as_bytes()[i] == b'}' => {
                    return Err("`}` without `{` in the URI template".into());
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Literal(&rest[..i]));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find('}')
                        .ok_or("`{` without `}` in the URI template")?;
                    let name = &after[..end];
                    if name.is_empty()
                        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    {
                        return Err(format!(
                            "`{{{name}}}` is not a level-1 variable: write `{{name}}` with letters, digits and `_` \
                             (operators such as `+`, `#`, `/`, `?` are not supported)"
                        ));
                    }
                    if matches!(parts.last(), Some(Part::Var(_))) {
                        return Err(format!(
                            "`{{{name}}}` follows another variable directly; put literal text between them"
                        ));
                    }
                    if parts.contains(&Part::Var(name)) {
                        return Err(format!("the variable `{name}` appears twice"));
                    }
                    parts.push(Part::Var(name));
                    rest = &after[end + 1..];
                }
            }
        }
        if !parts.iter().any(|p| matches!(p, Part::Var(_))) {
            return Err(
                "the URI template has no `{variable}`; use `uri` for a single resource".into(),
            );
        }
        Ok(UriTemplate { parts })
    }

    pub(crate) fn variables(&self) -> Vec<&'static str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Var(v) => Some(*v),
                Part::Literal(_) => None,
            })
            .collect()
    }

    /// The variables of `uri`, if the template matches it: each a non-empty
    /// run of unreserved or percent-encoded characters (what level-1
    /// expansion produces), decoded.
    pub(crate) fn matches(&self, uri: &str) -> Option<TemplateMatch> {
        let mut vars = Vec::new();
        match_parts(&self.parts, uri, &mut vars).then_some(TemplateMatch { vars })
    }
}

fn match_parts(parts: &[Part], uri: &str, vars: &mut Vec<(&'static str, String)>) -> bool {
    match parts.split_first() {
        None => uri.is_empty(),
        Some((Part::Literal(l), rest)) => uri
            .strip_prefix(l)
            .is_some_and(|u| match_parts(rest, u, vars)),
        Some((Part::Var(name), rest)) => {
            let run = uri
                .bytes()
                .take_while(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'%')
                })
                .count();
            // Longest first: a literal after the variable may start with a
            // character the value may also hold (`{id}.json`).
            for end in (1..=run).rev() {
                let Some(value) = percent_decode(&uri[..end]) else {
                    continue;
                };
                vars.push((name, value));
                if match_parts(rest, &uri[end..], vars) {
                    return true;
                }
                vars.pop();
            }
            false
        }
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(t: &'static str, uri: &str) -> Option<Vec<(&'static str, String)>> {
        UriTemplate::parse(t).unwrap().matches(uri).map(|m| m.vars)
    }

    #[test]
    fn templates_match_and_decode() {
        assert_eq!(
            vars("test://template/{id}/data", "test://template/123/data"),
            Some(vec![("id", "123".to_owned())])
        );
        assert_eq!(
            vars("shop://products/{productId}", "shop://products/a%20b"),
            Some(vec![("productId", "a b".to_owned())])
        );
        assert_eq!(
            vars("x://{a}.json", "x://v1.2.json"),
            Some(vec![("a", "v1.2".to_owned())])
        );
        assert_eq!(
            vars("x://o/{a}/i/{b}", "x://o/1/i/2"),
            Some(vec![("a", "1".to_owned()), ("b", "2".to_owned())])
        );
        // A value holds no `/` (level-1 expansion encodes it), is not empty,
        // and is valid percent-encoded UTF-8; the whole URI must match.
        assert_eq!(
            vars("test://template/{id}/data", "test://template/1/2/data"),
            None
        );
        assert_eq!(
            vars("test://template/{id}/data", "test://template//data"),
            None
        );
        assert_eq!(
            vars("test://template/{id}/data", "test://template/1/data/x"),
            None
        );
        assert_eq!(vars("x://{a}", "x://%ff"), None);
        assert_eq!(vars("x://{a}", "x://%zz"), None);
    }

    #[test]
    fn bad_templates_say_why() {
        for (t, why) in [
            ("x://{a}{b}", "follows another variable"),
            ("x://{a}/{a}", "appears twice"),
            ("x://{+a}", "not a level-1 variable"),
            ("x://{}", "not a level-1 variable"),
            ("x://{a", "without `}`"),
            ("x://a}", "without `{`"),
            ("x://plain", "has no `{variable}`"),
            ("no-scheme/{a}", "needs a scheme"),
            ("x://{a} b", "cannot contain ' '"),
        ] {
            let e = UriTemplate::parse(t).unwrap_err();
            assert!(e.contains(why), "{t}: {e}");
        }
    }

    #[test]
    fn uris_are_checked() {
        assert!(check_uri("test://static-text").is_ok());
        assert!(check_uri("file:///a%20b.txt").is_ok());
        assert!(check_uri("static-text").is_err());
        assert!(check_uri("1x://a").is_err());
        assert!(check_uri("x://a b").is_err());
        assert!(check_uri("x://{a}").unwrap_err().contains("uri_template"));
    }
}
