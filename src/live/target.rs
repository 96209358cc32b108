//! Finding what to attach to: an inspector address and its `/json/list` targets, or a Node
//! process by PID whose inspector is opened with SIGUSR1 (Linux).

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cdp;
use super::error::{Error, Result};

/// The inspector's default address, as `node --inspect` and SIGUSR1 use it.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:9229";

/// The port SIGUSR1 opens unless the process was started with `--inspect-port`.
pub const DEFAULT_PORT: u16 = 9229;

/// What kind of JavaScript runtime a target is; it decides how memory is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeKind {
    /// A Node.js process (`type: "node"`): `process.memoryUsage()` is available.
    Node,
    /// A Chrome/Chromium/Electron page or worker: `Runtime.getHeapUsage` only.
    Page,
}

/// One entry of `/json/list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The inspector address it was listed by (and is connected through).
    pub address: SocketAddr,
    /// `id`: a UUID (Node) or the page's target id (Chrome).
    pub id: String,
    /// `type`: `node`, `page`, `iframe`, `worker`, …
    pub target_type: String,
    /// `title`: the script (Node) or the page title.
    pub title: String,
    /// `url`: `file://…` (Node) or the page URL.
    pub url: String,
    /// The path of `webSocketDebuggerUrl`, e.g. `/0f2c…` or `/devtools/page/…`.
    pub ws_path: String,
}

impl Target {
    /// Node or a page, from the target's type.
    pub fn runtime(&self) -> RuntimeKind {
        if self.target_type == "node" {
            RuntimeKind::Node
        } else {
            RuntimeKind::Page
        }
    }

    /// One line for lists and messages: `node 0f2c… server.js`.
    pub fn describe(&self) -> String {
        let title = if self.title.is_empty() {
            &self.url
        } else {
            &self.title
        };
        format!("{} {} {}", self.target_type, self.id, title)
    }
}

/// Parses and resolves `HOST:PORT` (or a bare `PORT`, meaning 127.0.0.1). A non-loopback
/// address is an error unless `allow_remote`.
pub fn resolve_address(text: &str, allow_remote: bool) -> Result<SocketAddr> {
    let bad = |reason: &str| Error::BadAddress {
        address: text.to_owned(),
        reason: reason.to_owned(),
    };
    let text = text.trim();
    let text = text
        .strip_prefix("ws://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    let text = text.split('/').next().unwrap_or_default();
    let with_host = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        format!("127.0.0.1:{text}")
    } else {
        text.to_owned()
    };
    let Some((host, port)) = with_host.rsplit_once(':') else {
        return Err(bad("expected HOST:PORT, e.g. 127.0.0.1:9229"));
    };
    if host.is_empty() {
        return Err(bad("expected HOST:PORT, e.g. 127.0.0.1:9229"));
    }
    if port.parse::<u16>().ok().filter(|&p| p != 0).is_none() {
        return Err(bad("the port must be a number from 1 to 65535"));
    }
    let mut addresses: Vec<SocketAddr> = with_host
        .to_socket_addrs()
        .map_err(|e| bad(&format!("cannot resolve: {e}")))?
        .collect();
    // `localhost` may resolve to ::1 first; Node listens on 127.0.0.1 by default.
    addresses.sort_by_key(|a| !a.is_ipv4());
    let Some(&address) = addresses.first() else {
        return Err(bad("resolves to no address"));
    };
    if !allow_remote && !address.ip().is_loopback() {
        return Err(Error::RemoteNotAllowed { address });
    }
    Ok(address)
}

/// The targets `/json/list` lists at `address`, in its order.
pub fn list_targets(address: SocketAddr, timeout: Duration) -> Result<Vec<Target>> {
    let list = cdp::get_json(address, "/json/list", timeout)?;
    let Some(entries) = list.as_array() else {
        return Err(Error::Http {
            address,
            path: "/json/list",
            reason: "not a JSON array".to_owned(),
        });
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    Ok(entries
        .iter()
        .filter_map(|entry| {
            let ws = entry.get("webSocketDebuggerUrl")?.as_str()?;
            let rest = ws
                .strip_prefix("ws://")
                .or_else(|| ws.strip_prefix("wss://"))?;
            let path = &rest[rest.find('/')?..];
            Some(Target {
                address,
                id: text(entry, "id"),
                target_type: text(entry, "type"),
                title: text(entry, "title"),
                url: text(entry, "url"),
                ws_path: path.to_owned(),
            })
        })
        .collect())
}

/// Picks a target: the one whose id equals `wanted` or whose title or URL contains it, else
/// the first `node` target, else the first `page`.
pub fn choose_target(
    address: SocketAddr,
    targets: &[Target],
    wanted: Option<&str>,
) -> Result<Target> {
    if let Some(wanted) = wanted {
        let found = targets.iter().find(|t| t.id == wanted).or_else(|| {
            targets
                .iter()
                .find(|t| t.title.contains(wanted) || t.url.contains(wanted))
        });
        return found.cloned().ok_or_else(|| Error::NoMatchingTarget {
            address,
            wanted: wanted.to_owned(),
            available: if targets.is_empty() {
                "nothing".to_owned()
            } else {
                targets
                    .iter()
                    .map(Target::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        });
    }
    let found = targets
        .iter()
        .find(|t| t.target_type == "node")
        .or_else(|| targets.iter().find(|t| t.target_type == "page"));
    found.cloned().ok_or_else(|| Error::NoTargets {
        address,
        listed: if targets.is_empty() {
            String::new()
        } else {
            let types: Vec<&str> = targets.iter().map(|t| t.target_type.as_str()).collect();
            format!(" (it lists: {})", types.join(", "))
        },
    })
}

/// How a PID was turned into an inspector address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PidInspector {
    /// The inspector's address (loopback).
    pub address: SocketAddr,
    /// True when heapsight sent SIGUSR1 (the inspector stays open after heapsight leaves).
    pub activated: bool,
}

/// Finds the inspector of Node process `pid`, opening it with SIGUSR1 when it is not open
/// yet, and waits up to `timeout` for it to listen.
///
/// The process must be a Node process (checked by its executable and command line before any
/// signal is sent: SIGUSR1 kills a process that does not handle it). The port is the one of
/// its `--inspect`/`--inspect-port` flag (command line or `NODE_OPTIONS`), else 9229.
#[cfg(target_os = "linux")]
pub fn inspector_of_pid(pid: u32, timeout: Duration) -> Result<PidInspector> {
    let process = procfs::Process::read(pid)?;
    if !process.is_node() {
        return Err(Error::NotNode {
            pid,
            exe: process.describe(),
        });
    }
    let (host, port) = process.inspect_port();
    if port == 0 {
        // `--inspect=0`: a random port; it is one of the process's listening sockets.
        if let Some(address) = process
            .listening()
            .into_iter()
            .find(|a| cdp::get_json(*a, "/json/version", Duration::from_secs(1)).is_ok())
        {
            return Ok(PidInspector {
                address: loopback_for(address),
                activated: false,
            });
        }
    }
    let port = if port == 0 { DEFAULT_PORT } else { port };
    let address = SocketAddr::new(host, port);
    if process.listens_on(port) {
        return Ok(PidInspector {
            address,
            activated: false,
        });
    }
    if cdp::connect(address, Duration::from_secs(1)).is_ok() {
        if process.sockets_visible() {
            return Err(Error::PortInUse { pid, port });
        }
        // Its sockets are hidden from us: the port may be its own open inspector.
        // [`super::attach`] compares `process.pid` and reports another owner.
        return Ok(PidInspector {
            address,
            activated: false,
        });
    }
    procfs::signal_usr1(pid)?;
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if !procfs::alive(pid) {
            return Err(Error::ProcessExited { pid });
        }
        let listening = if process.sockets_visible() {
            process.listens_on(port)
        } else {
            // Without access to its sockets, trust the port once the inspector answers.
            cdp::get_json(address, "/json/version", Duration::from_secs(1)).is_ok()
        };
        if listening {
            return Ok(PidInspector {
                address,
                activated: true,
            });
        }
        if started.elapsed() >= timeout {
            return Err(Error::InspectorNotOpened {
                pid,
                port,
                secs: timeout.as_secs_f64(),
            });
        }
    }
}

/// Attaching by PID needs Linux's `/proc` (and a signal).
#[cfg(not(target_os = "linux"))]
pub fn inspector_of_pid(_pid: u32, _timeout: Duration) -> Result<PidInspector> {
    Err(Error::PidUnsupported)
}

/// `0.0.0.0:P` and `[::]:P` listen on loopback too: connect there.
#[cfg(target_os = "linux")]
fn loopback_for(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    }
}

#[cfg(target_os = "linux")]
mod procfs {
    //! What `/proc` says about a process: executable, arguments, listening sockets.

    use std::collections::HashSet;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    use std::path::PathBuf;

    use super::super::error::{Error, Result};
    use super::DEFAULT_PORT;

    pub struct Process {
        pid: u32,
        exe: Option<PathBuf>,
        args: Vec<String>,
        node_options: Vec<String>,
        /// Inodes of its sockets; `None` when `/proc/PID/fd` is not readable.
        socket_inodes: Option<HashSet<u64>>,
    }

    impl Process {
        pub fn read(pid: u32) -> Result<Self> {
            let dir = PathBuf::from(format!("/proc/{pid}"));
            let cmdline = match std::fs::read(dir.join("cmdline")) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::NoSuchProcess { pid });
                }
                Err(_) => return Err(Error::PermissionDenied { pid }),
            };
            let args = split_nul(&cmdline);
            let node_options = std::fs::read(dir.join("environ"))
                .map(|env| {
                    split_nul(&env)
                        .into_iter()
                        .filter_map(|kv| kv.strip_prefix("NODE_OPTIONS=").map(str::to_owned))
                        .flat_map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                        .collect()
                })
                .unwrap_or_default();
            let mut process = Self {
                pid,
                exe: std::fs::read_link(dir.join("exe")).ok(),
                args,
                node_options,
                socket_inodes: None,
            };
            process.socket_inodes = process.read_socket_inodes();
            Ok(process)
        }

        /// The executable, or failing that (another user's process) `argv[0]`, is `node`,
        /// `nodejs` or `node<version>`.
        pub fn is_node(&self) -> bool {
            let name_is_node = |path: &str| {
                let name = path.rsplit('/').next().unwrap_or(path);
                let name = name.strip_suffix(" (deleted)").unwrap_or(name);
                name == "nodejs"
                    || name
                        .strip_prefix("node")
                        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            };
            match &self.exe {
                Some(exe) => name_is_node(&exe.to_string_lossy()),
                None => self.args.first().is_some_and(|a| name_is_node(a)),
            }
        }

        /// The executable, else the command line, for messages.
        pub fn describe(&self) -> String {
            match &self.exe {
                Some(exe) => exe.display().to_string(),
                None if self.args.is_empty() => "no command line".to_owned(),
                None => self.args.join(" "),
            }
        }

        /// Host and port of the inspector from `--inspect[-brk|-wait|-port][=[host:]port]`
        /// (command line, then `NODE_OPTIONS`); 127.0.0.1:9229 by default. Port 0 means random.
        pub fn inspect_port(&self) -> (IpAddr, u16) {
            let mut found = (IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT);
            // Node's own options come before the script: stop at the first non-flag.
            let node_args = self.args.iter().skip(1).take_while(|a| a.starts_with('-'));
            for arg in self.node_options.iter().chain(node_args) {
                let Some(value) = [
                    "--inspect-port=",
                    "--inspect=",
                    "--inspect-brk=",
                    "--inspect-wait=",
                ]
                .iter()
                .find_map(|flag| arg.strip_prefix(flag)) else {
                    continue;
                };
                let (host, port) = match value.rsplit_once(':') {
                    Some((host, port)) => (Some(host), port),
                    None => (None, value),
                };
                if let Ok(port) = port.parse() {
                    found.1 = port;
                }
                if let Some(ip) = host.map(|h| h.trim_matches(['[', ']'])).and_then(|h| {
                    if h == "localhost" {
                        Some(found.0)
                    } else {
                        h.parse().ok()
                    }
                }) {
                    found.0 = if ip.is_unspecified() {
                        IpAddr::V4(Ipv4Addr::LOCALHOST)
                    } else {
                        ip
                    };
                }
            }
            found
        }

        pub fn sockets_visible(&self) -> bool {
            self.socket_inodes.is_some()
        }

        fn read_socket_inodes(&self) -> Option<HashSet<u64>> {
            let fds = std::fs::read_dir(format!("/proc/{}/fd", self.pid)).ok()?;
            Some(
                fds.filter_map(|fd| {
                    let target = std::fs::read_link(fd.ok()?.path()).ok()?;
                    let target = target.to_str()?;
                    target
                        .strip_prefix("socket:[")?
                        .strip_suffix(']')?
                        .parse()
                        .ok()
                })
                .collect(),
            )
        }

        /// The TCP addresses this process listens on (fresh from `/proc`).
        pub fn listening(&self) -> Vec<SocketAddr> {
            let Some(inodes) = self.read_socket_inodes() else {
                return Vec::new();
            };
            let mut found = Vec::new();
            for file in ["tcp", "tcp6"] {
                let Ok(table) = std::fs::read_to_string(format!("/proc/{}/net/{file}", self.pid))
                else {
                    continue;
                };
                for line in table.lines().skip(1) {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
                    let (Some(local), Some(&"0A"), Some(inode)) =
                        (fields.get(1), fields.get(3), fields.get(9))
                    else {
                        continue;
                    };
                    if inode.parse().is_ok_and(|i: u64| inodes.contains(&i))
                        && let Some(address) = parse_proc_address(local)
                    {
                        found.push(address);
                    }
                }
            }
            found.sort();
            found.dedup();
            found
        }

        pub fn listens_on(&self, port: u16) -> bool {
            self.listening().iter().any(|a| a.port() == port)
        }
    }

    fn split_nul(bytes: &[u8]) -> Vec<String> {
        bytes
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    /// `0100007F:2405` (tcp) or 32 hex digits and a port (tcp6), as the kernel prints them.
    pub fn parse_proc_address(text: &str) -> Option<SocketAddr> {
        let (ip, port) = text.split_once(':')?;
        let port = u16::from_str_radix(port, 16).ok()?;
        let ip = match ip.len() {
            8 => IpAddr::V4(Ipv4Addr::from(
                u32::from_str_radix(ip, 16).ok()?.swap_bytes(),
            )),
            32 => {
                let mut bytes = [0u8; 16];
                for (word, chunk) in ip.as_bytes().chunks(8).enumerate() {
                    let value = u32::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
                    bytes[word * 4..word * 4 + 4]
                        .copy_from_slice(&value.swap_bytes().to_be_bytes());
                }
                IpAddr::V6(Ipv6Addr::from(bytes))
            }
            _ => return None,
        };
        Some(SocketAddr::new(ip, port))
    }

    /// True while the process exists and is not a zombie.
    pub fn alive(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // `pid (comm) S …`: the state follows the last ')'.
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }

    /// Sends SIGUSR1, the signal that opens Node's inspector.
    pub fn signal_usr1(pid: u32) -> Result<()> {
        let Ok(raw) = libc::pid_t::try_from(pid) else {
            return Err(Error::NoSuchProcess { pid });
        };
        if raw <= 0 {
            return Err(Error::NoSuchProcess { pid });
        }
        // SAFETY: `kill` has no memory-safety preconditions; `raw` is a positive PID, so the
        // signal goes to that one process, never to a process group.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::kill(raw, libc::SIGUSR1) };
        if rc == 0 {
            return Ok(());
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EPERM) => Err(Error::PermissionDenied { pid }),
            _ => Err(Error::NoSuchProcess { pid }),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn proc_addresses() {
            assert_eq!(
                parse_proc_address("0100007F:2405"),
                Some("127.0.0.1:9221".parse().unwrap())
            );
            assert_eq!(
                parse_proc_address("00000000000000000000000001000000:0050"),
                Some("[::1]:80".parse().unwrap())
            );
            assert_eq!(parse_proc_address("zz"), None);
        }

        #[test]
        fn inspect_flags() {
            let process = |args: &[&str], env: &[&str]| Process {
                pid: 1,
                exe: Some("/usr/bin/node".into()),
                args: args.iter().map(|s| s.to_string()).collect(),
                node_options: env.iter().map(|s| s.to_string()).collect(),
                socket_inodes: None,
            };
            let local = |port| (IpAddr::V4(Ipv4Addr::LOCALHOST), port);
            assert_eq!(process(&["node", "a.js"], &[]).inspect_port(), local(9229));
            assert_eq!(
                process(&["node", "--inspect-port=9300", "a.js", "--inspect=1"], &[])
                    .inspect_port(),
                local(9300)
            );
            assert_eq!(
                process(&["node", "--inspect=0.0.0.0:0"], &[]).inspect_port(),
                local(0)
            );
            assert_eq!(
                process(&["node", "a.js"], &["--inspect-port=9400"]).inspect_port(),
                local(9400)
            );
            assert!(process(&["node"], &[]).is_node());
            let mut sleep = process(&["sleep", "30"], &[]);
            sleep.exe = Some("/usr/bin/sleep".into());
            assert!(!sleep.is_node());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            resolve_address("127.0.0.1:9229", false).unwrap().port(),
            9229
        );
        assert_eq!(
            resolve_address("9230", false).unwrap().to_string(),
            "127.0.0.1:9230"
        );
        assert!(
            resolve_address("localhost:9229", false)
                .unwrap()
                .ip()
                .is_loopback()
        );
        assert!(resolve_address("ws://127.0.0.1:9229/abc", false).is_ok());
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:0",
            "127.0.0.1:99999",
            ":9229",
            "host:port",
        ] {
            assert!(
                matches!(resolve_address(bad, false), Err(Error::BadAddress { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            resolve_address("10.1.2.3:9229", false),
            Err(Error::RemoteNotAllowed { .. })
        ));
        assert!(resolve_address("10.1.2.3:9229", true).is_ok());
    }

    #[test]
    fn choosing() {
        let address: SocketAddr = "127.0.0.1:9222".parse().unwrap();
        let target = |t: &str, id: &str, title: &str| Target {
            address,
            id: id.to_owned(),
            target_type: t.to_owned(),
            title: title.to_owned(),
            url: String::new(),
            ws_path: format!("/devtools/page/{id}"),
        };
        let targets = [
            target("service_worker", "a", "sw"),
            target("page", "b", "Inbox"),
            target("page", "c", "News"),
        ];
        assert_eq!(choose_target(address, &targets, None).unwrap().id, "b");
        assert_eq!(
            choose_target(address, &targets, Some("News")).unwrap().id,
            "c"
        );
        assert!(matches!(
            choose_target(address, &targets, Some("zzz")),
            Err(Error::NoMatchingTarget { .. })
        ));
        assert!(matches!(
            choose_target(address, &targets[..1], None),
            Err(Error::NoTargets { .. })
        ));
    }
}
