//! nginx in front of benchmark servers: the shipped locations
//! (`deploy/nginx/mcp-locations.inc`) in a config of its own under a temp
//! prefix, one listener per upstream group, run in the foreground as a
//! child process (killed, and its prefix removed, on drop).

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running nginx.
pub struct Nginx {
    child: Child,
    prefix: PathBuf,
    /// One loopback address per upstream group, in the order given.
    pub addrs: Vec<SocketAddr>,
}

impl Nginx {
    /// nginx with one `server` per group of `upstreams` (round robin over
    /// the group), each including the shipped MCP locations; `workers`
    /// worker processes. Panics when nginx is missing or refuses the config.
    pub fn spawn(upstreams: &[Vec<SocketAddr>], workers: usize) -> Nginx {
        let prefix = std::env::temp_dir().join(format!("mcp-bench-nginx-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(prefix.join("logs")).expect("create nginx prefix");
        let locations = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../deploy/nginx/mcp-locations.inc")
            .canonicalize()
            .expect("deploy/nginx/mcp-locations.inc");
        let addrs: Vec<SocketAddr> = upstreams
            .iter()
            .map(|_| {
                TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .expect("a free port")
            })
            .collect();
        let p = prefix.display();
        let mut conf = format!(
            "worker_processes {workers};\npid {p}/nginx.pid;\nerror_log {p}/logs/error.log warn;\n\
             events {{ worker_connections 4096; }}\nhttp {{\n    access_log off;\n    \
             # The load generator counts a closed connection as an error: no\n    \
             # close after nginx's default of 1000 requests per connection.\n    \
             keepalive_requests 1000000;\n"
        );
        for t in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            conf.push_str(&format!("    {t}_temp_path {p}/{t};\n"));
        }
        for (i, (group, addr)) in upstreams.iter().zip(&addrs).enumerate() {
            conf.push_str(&format!("    upstream mcp_replicas_{i} {{\n"));
            for s in group {
                conf.push_str(&format!(
                    "        server {s} max_fails=1 fail_timeout=5s;\n"
                ));
            }
            conf.push_str("        keepalive 64;\n    }\n");
            // The shipped file proxies to `mcp_replicas`: each server block
            // names its own group so.
            conf.push_str(&format!(
                "    server {{\n        listen {addr};\n        include {p}/locations-{i}.inc;\n    }}\n"
            ));
            let shipped = std::fs::read_to_string(&locations).expect("read the locations");
            std::fs::write(
                prefix.join(format!("locations-{i}.inc")),
                shipped.replace("http://mcp_replicas;", &format!("http://mcp_replicas_{i};")),
            )
            .expect("write the locations");
        }
        conf.push_str("}\n");
        let conf_path = prefix.join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-e")
            .arg(prefix.join("logs/error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx not installed (apt-get install nginx)");
        let nginx = Nginx {
            child,
            prefix,
            addrs,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        for addr in &nginx.addrs {
            while std::net::TcpStream::connect(addr).is_err() {
                assert!(Instant::now() < deadline, "nginx did not listen on {addr}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        nginx
    }

    /// The master's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM, so that the master stops its workers (a killed master
        // leaves them running).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}
