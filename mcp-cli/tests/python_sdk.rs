//! `mcp` against a server that is not ours: `tests/py/notes_server.py`,
//! written with the official MCP Python SDK (`MCPServer`, `mcp` 2.3.0 from
//! the pinned venv), over Streamable HTTP (the SDK's sessions, and its
//! stateless mode) in both eras and over stdio; every subcommand, with exact
//! outputs and exit codes.
//!
//! `tests/expected/notes-tools.json` is what the SDK publishes for the nine
//! tools (`mcp tools --json`, reviewed by hand); the tests below pin the
//! rest inline.
//!
//! Needs python >= 3.10 (the first test runs `scripts/py-venv.sh`). Without
//! python3 the tests print `SKIPPED` and pass, unless `CI` is set.

mod support;

use std::path::Path;

use base64::Engine as _;
use mcp_tests::py_sdk::venv_python;
use serde_json::{Map, Value, json};
use support::{Notes, RunExt, TempDir, Way, in_era, mcp, mcp_in, notes_stdio, with_command};

fn ways(python: &Path, sessions: &Notes, stateless: &Notes) -> Vec<Way> {
    let stdio = || notes_stdio(python, "base");
    vec![
        Way::http("HTTP with sessions, auto", &sessions.url, &[], true),
        Way::http(
            "HTTP with sessions, handshake",
            &sessions.url,
            &["--era", "handshake"],
            false,
        ),
        Way::http(
            "HTTP stateless mode, stateless",
            &stateless.url,
            &["--era", "stateless"],
            true,
        ),
        Way::http(
            "HTTP stateless mode, handshake",
            &stateless.url,
            &["--era", "handshake"],
            false,
        ),
        Way::stdio("stdio, auto", stdio(), &[], true),
        Way::stdio("stdio, handshake", stdio(), &["--era", "handshake"], false),
    ]
}

/// A result of the notes server in the era of `way`.
fn era_result(stateless: bool, result: Value) -> Value {
    in_era(
        stateless,
        result,
        json!({ "name": "notes", "version": "1.0.0" }),
    )
}

fn expected_tools() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected/notes-tools.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the expected tools")).unwrap()
}

const TABLE: &str = "\
NAME   TITLE        ANNOTATIONS  REQUIRED
add    Add numbers  read-only    a, b
greet  -            -            name
paint  -            -            colour
echo   -            -            text
count  -            -            steps
pixel  -            -            -
book   -            -            slot
tag    -            -            label
fail   -            -            reason
";

/// `(tool, rule, severity, location)` of each lint finding.
const FINDINGS: [(&str, &str, &str, &str); 14] = [
    (
        "add",
        "missing-description",
        "warning",
        "inputSchema.properties.a",
    ),
    (
        "add",
        "missing-description",
        "warning",
        "inputSchema.properties.b",
    ),
    (
        "greet",
        "missing-description",
        "warning",
        "inputSchema.properties.greeting",
    ),
    (
        "greet",
        "missing-description",
        "warning",
        "inputSchema.properties.name",
    ),
    (
        "paint",
        "missing-description",
        "warning",
        "inputSchema.properties.colour",
    ),
    (
        "echo",
        "missing-description",
        "warning",
        "inputSchema.properties.text",
    ),
    (
        "count",
        "missing-description",
        "warning",
        "inputSchema.properties.steps",
    ),
    ("book", "defs", "warning", "inputSchema.$defs"),
    (
        "book",
        "missing-description",
        "warning",
        "inputSchema.properties.note",
    ),
    (
        "book",
        "missing-description",
        "warning",
        "inputSchema.properties.slot",
    ),
    (
        "book",
        "local-ref",
        "warning",
        "inputSchema.properties.slot.$ref",
    ),
    (
        "tag",
        "missing-description",
        "warning",
        "inputSchema.properties.label",
    ),
    (
        "tag",
        "remote-ref",
        "error",
        "inputSchema.properties.label.$ref",
    ),
    (
        "fail",
        "missing-description",
        "warning",
        "inputSchema.properties.reason",
    ),
];

#[test]
fn every_subcommand_over_http_in_both_eras_and_over_stdio() {
    let Some(python) = venv_python() else {
        return;
    };
    let sessions = Notes::start(python, &[]);
    let stateless = Notes::start(python, &["--stateless"]);
    let tools = expected_tools();
    let paint = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "paint")
        .unwrap();
    assert_eq!(
        paint,
        &json!({
            "name": "paint",
            "description": "Paint the fence.",
            "inputSchema": {
                "type": "object",
                "title": "paintArguments",
                "properties": { "colour": { "enum": ["red", "green"], "title": "Colour", "type": "string" } },
                "required": ["colour"]
            },
            "outputSchema": {
                "type": "object",
                "title": "paintOutput",
                "properties": { "result": { "title": "Result", "type": "string" } },
                "required": ["result"]
            }
        }),
        "the fixture holds what the SDK publishes"
    );
    // The lock: each tool under its name, without `name`.
    let mut locked = Map::new();
    for t in tools.as_array().unwrap() {
        let mut t = t.clone();
        let name = t.as_object_mut().unwrap().remove("name").unwrap();
        locked.insert(name.as_str().unwrap().to_owned(), t);
    }
    let lock = json!({ "tools": locked });
    let dir = TempDir::new("notes-lock");
    std::fs::write(dir.0.join("notes.lock.json"), lock.to_string()).unwrap();

    for way in ways(python, &sessions, &stateless) {
        let w = &way.name;
        assert_eq!(
            way.run("tools", &["--json"]).expect_code(0).json(),
            tools,
            "{w}"
        );
        assert_eq!(way.run("tools", &[]).expect_code(0).stdout, TABLE, "{w}");

        let add = way.run("call", &["add", "a=2", "b=3", "--json"]);
        let expected = json!({
            "content": [{ "type": "text", "text": "5" }],
            "isError": false,
            "structuredContent": { "result": 5 }
        });
        assert_eq!(
            add.expect_code(0).json(),
            era_result(way.stateless, expected),
            "{w}"
        );
        for (args, printed) in [
            (
                &["greet", "name=Zoë"][..],
                "{\n  \"result\": \"Hello, Zoë!\"\n}\n",
            ),
            (
                &["book", r#"slot={"day": "2026-12-01", "hour": 9}"#],
                "{\n  \"result\": \"booked 2026-12-01 9:00\"\n}\n",
            ),
            // A schema with a remote `$ref` cannot be checked here: the server judges.
            (
                &["tag", "label=urgent"],
                "{\n  \"result\": \"tagged urgent\"\n}\n",
            ),
        ] {
            let run = way.run("call", args);
            assert_eq!(run.expect_code(0).stdout, printed, "{w}: {args:?}");
        }

        let lint = way.run("lint", &["--json"]);
        let found: Vec<(String, String, String, String)> = lint
            .expect_code(1)
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let field = |k: &str| f[k].as_str().unwrap().to_owned();
                let location = format!("{}.{}", field("schema"), field("path"));
                (field("tool"), field("rule"), field("severity"), location)
            })
            .collect();
        let expected: Vec<(String, String, String, String)> = FINDINGS
            .iter()
            .map(|(t, r, s, l)| ((*t).into(), (*r).into(), (*s).into(), (*l).into()))
            .collect();
        assert_eq!(found, expected, "{w}");
        let text = way.run("lint", &[]);
        let last = text
            .expect_code(1)
            .stdout
            .lines()
            .last()
            .unwrap()
            .to_owned();
        assert_eq!(last, "1 error(s), 13 warning(s) in 9 tools", "{w}");
        assert!(
            text.stdout.contains(
                "tag: error [remote-ref] inputSchema.properties.label.$ref: `$ref` points outside \
                 this document (`https://schemas.example.com/label.json`): clients do not fetch \
                 remote schemas, so the constraint is dropped or the tool is rejected. Fix: \
                 Inline the referenced schema here.\n"
            ),
            "{w}:\n{}",
            text.stdout
        );

        assert_eq!(way.run("lock", &[]).expect_code(0).json(), lock, "{w}");
        let diff = way.run_in("diff", &["notes.lock.json"], Some(&dir.0));
        assert_eq!(
            diff.expect_code(0).stdout,
            "no changes: the 9 tools match notes.lock.json\n",
            "{w}"
        );
    }
}

#[test]
fn results_progress_images_and_errors() {
    let Some(python) = venv_python() else {
        return;
    };
    let notes = Notes::start(python, &[]);
    for way in [
        Way::http("HTTP", &notes.url, &["--era", "handshake"], false),
        Way::stdio("stdio", notes_stdio(python, "base"), &[], true),
    ] {
        let name = &way.name;
        let call = |args: &[&str], dir: Option<&Path>| way.run_in("call", args, dir);
        // Progress: plain lines on stderr when it is not a terminal.
        let count = call(&["count", "steps=3"], None);
        assert_eq!(
            count.expect_code(0).stdout,
            "{\n  \"result\": \"counted to 3\"\n}\n"
        );
        assert_eq!(
            count.stderr, "progress 1/3 step 1\nprogress 2/3 step 2\nprogress 3/3 step 3\n",
            "{name}"
        );
        // An image is saved to a file (in a directory made for it), its
        // bytes as sent.
        let dir = TempDir::new("pixel");
        let pixel = call(&["pixel", "--save-dir", "out"], Some(&dir.0));
        let out = dir.0.join("out");
        assert_eq!(
            pixel.expect_code(0).stdout,
            "[image/png saved to out/pixel-1.png]\n",
            "{name}"
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
            .unwrap();
        assert_eq!(
            std::fs::read(out.join("pixel-1.png")).unwrap(),
            png,
            "{name}"
        );
        // The tool's error: its text, exit 1.
        let fail = call(&["fail", "reason=disk full"], None);
        assert_eq!(
            fail.expect_code(1).stdout,
            "Error executing tool fail: failed: disk full\n"
        );
        assert_eq!(
            fail.stderr,
            "mcp: the tool `fail` returned an error (isError)\n"
        );
        let fail = call(&["fail", "reason=disk full", "--json"], None);
        let expected = json!({
            "content": [{ "type": "text", "text": "Error executing tool fail: failed: disk full" }],
            "isError": true
        });
        assert_eq!(
            fail.expect_code(1).json(),
            era_result(way.stateless, expected),
            "{name}"
        );
        // Checked before sending, against the SDK's schemas.
        let blue = call(&["paint", "colour=blue"], None);
        assert_eq!(
            blue.expect_code(2).stderr,
            "mcp: invalid arguments for `paint` (not sent): `colour`: \"blue\" is not one of \"red\" or \"green\"\n"
        );
        let half = call(&["book", r#"slot={"day": "2026-12-01"}"#], None);
        assert_eq!(
            half.expect_code(2).stderr,
            "mcp: invalid arguments for `book` (not sent): `slot`: \"hour\" is a required property\n"
        );
        let word = call(&["add", "a=two", "b=3"], None);
        assert_eq!(
            word.expect_code(2).stderr,
            "mcp: invalid arguments for `add` (not sent): `a`: \"two\" is not of type \"integer\"\n"
        );
    }
}

#[test]
fn progress_is_a_bar_on_a_terminal() {
    let Some(python) = venv_python() else {
        return;
    };
    // `script` runs `mcp` on a pseudo-terminal and copies what it draws.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: `script` (util-linux) not found; the progress bar was not drawn");
        return;
    }
    let line = with_command(&["call", "count", "steps=2"], &notes_stdio(python, "base"))
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = std::process::Command::new("script");
    cmd.args([
        "-qec",
        &format!("{} {line}", env!("CARGO_BIN_EXE_mcp")),
        "/dev/null",
    ]);
    let run = mcp_tests::process::run(cmd, std::time::Duration::from_secs(60));
    run.assert_success("mcp under script");
    let bar =
        |n: usize, of: &str| format!("\r\x1b[2K[{}{}] {of}", "#".repeat(n), "-".repeat(30 - n));
    assert_eq!(
        run.stdout,
        format!(
            "{}{}\r\x1b[2K{{\r\n  \"result\": \"counted to 2\"\r\n}}\r\n",
            bar(15, "1/2 step 1"),
            bar(30, "2/2 step 2")
        )
    );
}

#[test]
fn diff_against_a_real_new_release_of_the_server() {
    let Some(python) = venv_python() else {
        return;
    };
    let dir = TempDir::new("notes-release");
    let lock = mcp(&with_command(&["lock"], &notes_stdio(python, "base")));
    std::fs::write(dir.0.join("v1.lock.json"), &lock.expect_code(0).stdout).unwrap();
    let notes = Notes::start(python, &["--variant", "breaking"]);
    let diff = mcp_in(&["diff", "v1.lock.json", &notes.url], Some(&dir.0));
    assert_eq!(
        diff.expect_code(1).stdout,
        "BREAKING changes (agents built against the lock may fail):
  - tool `add`: argument `c` added as required
  - tool `echo` removed (or renamed)
  - tool `greet`: argument `name` type changed: string -> integer
  - tool `paint`: argument `colour` enum value \"green\" removed (\"red\" | \"green\" → \"red\")
non-breaking changes:
  + tool `add`: description changed
  + tool `greet`: description changed
"
    );
    let compatible = with_command(
        &["diff", "v1.lock.json", "--json"],
        &notes_stdio(python, "compatible"),
    );
    let diff = mcp_in(&compatible, Some(&dir.0));
    assert_eq!(
        diff.expect_code(0).json(),
        json!({
            "breaking": [],
            "compatible": [
                "tool `add`: description changed",
                "tool `greet`: argument `punctuation` added (optional field)",
                "tool `ping` added"
            ]
        })
    );
}
