//! A throwaway Postgres cluster for tests: `initdb` into a temp dir and the
//! server on a free loopback port (run as the `postgres` user when the tests
//! run as root, which Postgres requires), stopped and removed on drop — and,
//! for a cluster kept in a `static` (never dropped), by a watchdog once the
//! test process is gone.
//!
//! Without Postgres installed, [`Postgres::start_or_skip`] prints `SKIPPED`
//! and gives `None`, unless `CI` is set: there a missing Postgres fails the
//! test (`scripts/postgres.sh` installs it; `.ci/run` calls it).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running throwaway cluster; its superuser is `postgres`, trusted on
/// loopback (no password).
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    /// Start a new cluster, or `None` (after printing `SKIPPED: …`) when
    /// Postgres is not installed and `CI` is unset. With `CI` set, a
    /// missing Postgres panics.
    pub fn start_or_skip() -> Option<Postgres> {
        match Postgres::start() {
            Ok(pg) => Some(pg),
            Err(Missing(why)) if std::env::var_os("CI").is_none() => {
                println!("SKIPPED: {why} (scripts/postgres.sh installs it)");
                None
            }
            Err(Missing(why)) => panic!("{why}: run scripts/postgres.sh"),
        }
    }

    /// One cluster for the whole test binary, started on first use (see
    /// [`Postgres::start_or_skip`]); each test makes its own database in it
    /// ([`Postgres::new_database`]).
    pub fn shared() -> Option<&'static Postgres> {
        static SHARED: OnceLock<Option<Postgres>> = OnceLock::new();
        SHARED.get_or_init(Postgres::start_or_skip).as_ref()
    }

    fn start() -> Result<Postgres, Missing> {
        let bin = bindir().ok_or_else(|| Missing("Postgres (initdb) not found".into()))?;
        let as_postgres = is_root();
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mcp-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir for Postgres");
        let mut pg = Postgres {
            bin,
            dir,
            port: 0,
            as_postgres,
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&pg.dir)
                .status()
                .expect("chown runs");
            assert!(status.success(), "chown of {} failed", pg.dir.display());
        }
        let data = pg.data();
        let out = pg
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.watchdog();
        // A port taken between our probe and the server's bind: try another.
        for _ in 0..5 {
            pg.port = free_port();
            if pg.start_server() {
                return Ok(pg);
            }
        }
        panic!("Postgres did not start: {}", pg.log());
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.stdin(Stdio::null()).current_dir(&self.dir);
        cmd
    }

    /// `pg_ctl start` on `self.port`; false if the server did not come up.
    fn start_server(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        self.command("pg_ctl")
            .args(["start", "-w", "-t", "30", "-s", "-D"])
            .arg(self.data())
            .args(["-l"])
            .arg(self.dir.join("log"))
            .args(["-o", &options])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A process that stops the server and removes its files once this
    /// test process has exited (for a cluster in a `static`).
    fn watchdog(&self) {
        let stop = format!(
            "{}pg_ctl stop -s -m immediate -D '{}'",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            self.data().display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             if [ -d '{dir}' ]; then PATH='{bin}':$PATH {stop} >/dev/null 2>&1; rm -rf '{dir}'; fi",
            pid = std::process::id(),
            dir = self.dir.display(),
            bin = self.bin.display(),
        );
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` for the superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// `psql` as the superuser on database `db`, stopping at the first error.
    fn psql_command(&self, db: &str) -> Command {
        let mut cmd = Command::new(self.bin.join("psql"));
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db])
            .stdin(Stdio::null());
        cmd
    }

    /// Run `sql` with `psql` in database `db`; its output (tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self
            .psql_command(db)
            .args(["-t", "-A", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `psql` running `sql` in database `db` in the background (e.g. a
    /// transaction holding a lock); kill or wait for it.
    pub fn psql_background(&self, db: &str, sql: &str) -> std::process::Child {
        self.psql_command(db)
            .args(["-c", sql])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("psql starts")
    }

    /// A new, empty database with a unique name; its URL.
    pub fn new_database(&self) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// Stop the server (fast shutdown: sessions are disconnected), keeping
    /// its data, to simulate an outage.
    pub fn stop(&self) {
        let ok = self
            .command("pg_ctl")
            .args(["stop", "-w", "-s", "-m", "fast", "-D"])
            .arg(self.data())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "pg_ctl stop failed: {}", self.log());
    }

    /// Start the stopped server again, on the same port.
    pub fn restart(&self) {
        assert!(
            self.start_server(),
            "Postgres did not restart: {}",
            self.log()
        );
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-s", "-m", "immediate", "-D"])
            .arg(self.data())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Why no cluster could be started.
struct Missing(String);

/// Where `initdb`, `pg_ctl` and `psql` are: the newest Debian
/// `/usr/lib/postgresql/N/bin`, else the directory of `initdb` on `PATH`.
fn bindir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|dir| is_file(&dir.join("initdb")) && is_file(&dir.join("pg_ctl")))
}

fn is_file(p: &Path) -> bool {
    p.is_file()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
