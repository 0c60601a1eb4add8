//! The prompts of the binary, collected once from `#[mcp_prompt]`
//! registrations: checked, sorted by name, their `prompts/list` entries built.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value, json};

use crate::__private::{PromptArguments, PromptDescriptor};
use crate::auth::INJECTED;

/// One registered prompt, with its list entry.
pub struct PromptInfo {
    pub(crate) desc: &'static PromptDescriptor,
    definition: Value,
}

impl PromptInfo {
    /// Its name.
    pub fn name(&self) -> &'static str {
        self.desc.name
    }

    /// Its description.
    pub fn description(&self) -> &'static str {
        self.desc.description
    }

    /// Its arguments: (name, required), in declared order.
    pub fn arguments(&self) -> Vec<(&'static str, bool)> {
        self.desc
            .arguments
            .iter()
            .map(|a| (a.name, a.required))
            .collect()
    }

    /// The OAuth scopes a caller must hold to see and get it (all of them).
    pub fn scopes(&self) -> &'static [&'static str] {
        self.desc.scopes
    }

    /// Whether any of its arguments has a completer.
    pub(crate) fn completes(&self) -> bool {
        self.desc.arguments.iter().any(|a| a.complete.is_some())
    }

    /// The prompt as `prompts/list` shows it.
    pub fn definition(&self) -> &Value {
        &self.definition
    }

    /// Where it is defined: `file:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.desc.file, self.desc.line)
    }

    /// The arguments of a `prompts/get`, checked: strings, none unknown,
    /// every required one given. The message says what to send.
    pub(crate) fn check_arguments(&self, given: Option<&Value>) -> Result<PromptArguments, String> {
        let name = self.name();
        let given = match given {
            None | Some(Value::Null) => &Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(format!(
                    "the arguments of prompt `{name}` must be an object of strings"
                ));
            }
        };
        let known = |k: &str| self.desc.arguments.iter().any(|a| a.name == k);
        let mut values = Vec::with_capacity(given.len());
        for (k, v) in given {
            if !known(k) {
                let list: Vec<String> = self
                    .desc
                    .arguments
                    .iter()
                    .map(|a| format!("`{}`", a.name))
                    .collect();
                return Err(if list.is_empty() {
                    format!("prompt `{name}` takes no arguments, but `{k}` was given")
                } else {
                    format!(
                        "prompt `{name}` has no argument `{k}`; its arguments are: {}",
                        list.join(", ")
                    )
                });
            }
            let Value::String(s) = v else {
                return Err(format!(
                    "the argument `{k}` of prompt `{name}` must be a string"
                ));
            };
            values.push((k.clone(), s.clone()));
        }
        let missing: Vec<String> = self
            .desc
            .arguments
            .iter()
            .filter(|a| a.required && !given.contains_key(a.name))
            .map(|a| format!("`{}`", a.name))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "prompt `{name}` needs the argument{} {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            ));
        }
        Ok(PromptArguments { values })
    }
}

impl fmt::Debug for PromptInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromptInfo")
            .field("name", &self.name())
            .field("location", &self.location())
            .finish_non_exhaustive()
    }
}

/// The prompts a server serves, sorted by name.
#[derive(Default)]
pub struct Prompts {
    prompts: Vec<PromptInfo>,
    by_name: HashMap<&'static str, usize>,
}

impl fmt::Debug for Prompts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.prompts.iter().map(|p| p.name()))
            .finish()
    }
}

/// A prompt name follows the tool-name rule: 1–64 chars of `[A-Za-z0-9_.-]`.
fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn problem(d: &PromptDescriptor, msg: impl fmt::Display) -> String {
    format!("{}:{}: prompt `{}`: {msg}", d.file, d.line, d.name)
}

impl Prompts {
    /// Every prompt registered with `#[mcp_prompt]` in this binary.
    pub(crate) fn from_inventory() -> Result<Prompts, Vec<String>> {
        Prompts::build(inventory::iter::<PromptDescriptor>)
    }

    pub(crate) fn build(
        descriptors: impl IntoIterator<Item = &'static PromptDescriptor>,
    ) -> Result<Prompts, Vec<String>> {
        let mut descs: Vec<&'static PromptDescriptor> = descriptors.into_iter().collect();
        descs.sort_by(|a, b| {
            a.name
                .cmp(b.name)
                .then(a.file.cmp(b.file))
                .then(a.line.cmp(&b.line))
        });
        let mut problems = Vec::new();
        for pair in descs.windows(2) {
            if pair[0].name == pair[1].name {
                problems.push(problem(
                    pair[1],
                    format_args!(
                        "duplicate prompt name; also defined at {}:{}",
                        pair[0].file, pair[0].line
                    ),
                ));
            }
        }
        for d in &descs {
            if !is_valid_name(d.name) {
                problems.push(problem(
                    d,
                    "name must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
                ));
            }
            if d.description.trim().is_empty() {
                problems.push(problem(
                    d,
                    "description is empty; say what the prompt is for",
                ));
            }
            for a in d.arguments {
                if INJECTED.contains(&a.name) {
                    problems.push(problem(
                        d,
                        format_args!("the argument `{}` would let the caller choose it; read it from `ToolContext`", a.name),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let prompts: Vec<PromptInfo> = descs
            .into_iter()
            .map(|d| PromptInfo {
                desc: d,
                definition: definition(d),
            })
            .collect();
        let by_name = prompts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name(), i))
            .collect();
        Ok(Prompts { prompts, by_name })
    }

    /// The prompts, sorted by name.
    pub fn prompts(&self) -> &[PromptInfo] {
        &self.prompts
    }

    /// The prompt of this name.
    pub fn get(&self, name: &str) -> Option<&PromptInfo> {
        self.by_name.get(name).map(|&i| &self.prompts[i])
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }
}

fn definition(d: &PromptDescriptor) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(d.name));
    if let Some(t) = d.title {
        m.insert("title".into(), json!(t));
    }
    m.insert("description".into(), json!(d.description));
    if !d.arguments.is_empty() {
        let args: Vec<Value> = d
            .arguments
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("name".into(), json!(a.name));
                if let Some(desc) = a.description {
                    m.insert("description".into(), json!(desc));
                }
                m.insert("required".into(), json!(a.required));
                Value::Object(m)
            })
            .collect();
        m.insert("arguments".into(), Value::Array(args));
    }
    if !d.scopes.is_empty() {
        m.insert(
            "_meta".into(),
            json!({ crate::jsonrpc::TOOL_SCOPES_META: d.scopes }),
        );
    }
    Value::Object(m)
}
