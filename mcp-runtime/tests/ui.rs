//! Compile tests of `#[mcp_tool]`: every supported signature compiles (and
//! registers the expected descriptor), every misuse fails with its message.

#[test]
fn ui() {
    // trybuild builds its own project (in target/tests/trybuild) with none of
    // the workspace's [profile] settings, so by default every dependency and
    // each of the compile-pass binaries (~110 MB apiece) carries full debug
    // info: gigabytes of disk in a cold CI tree, for binaries that are only
    // run once. The child cargo reads this from the environment.
    // SAFETY: set before trybuild starts any thread or child, in a test binary
    // whose only test this is.
    unsafe { std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false") };
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
