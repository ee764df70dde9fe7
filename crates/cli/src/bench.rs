//! `lsv bench signer`: the real HTTP signer under load, against raw `blst` in the same run.
//!
//! The baseline is what the hardware can do with no signer at all: one thread per core signing
//! in a loop. P's figure is end to end: HTTP/1.1 over loopback, JSON parsing, P's own signing
//! root, policy, a durable slashing-protection commit (group commit), and the signature. The
//! client runs in this process too and its CPU counts against P, so the ratio is conservative.

use blst::min_pk::SecretKey;
use clap::Args;
use lsv_consensus::{Epoch, Network, PublicKeyBytes};
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{AttestationConfig, Clock, DataDir, DevSealer, Enclave, Policy, SystemClock};
use lsv_signer::AppState;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Args)]
pub struct SignerBenchArgs {
    /// Validator keys in the signer.
    #[arg(long, default_value_t = 256)]
    keys: usize,
    /// Concurrent HTTP clients for the throughput run. Throughput is taken at saturation: on a
    /// 2-core machine 16 clients leave the cores idle now and then (every request in flight
    /// waiting on one commit; ratio ~0.78), from 32 up they stay busy (~0.84 at 32, 64, 128).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
}

/// A line of the report, which is printed whole at the end.
macro_rules! report {
    ($r:ident, $($t:tt)*) => {{
        $r.push_str(&format!($($t)*));
        $r.push('\n');
    }};
}

pub(crate) fn signer(args: SignerBenchArgs) -> Result<(), crate::output::CliError> {
    if args.keys == 0 || args.clients == 0 || args.seconds <= 0.0 {
        return Err("--keys, --clients and --seconds must be positive".into());
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let duration = Duration::from_secs_f64(args.seconds);

    // The baseline is taken before and after P's runs and averaged, so that drift in the
    // machine's speed during the run (shared hosts) does not masquerade as P's overhead.
    let raw_before = raw_blst(cores, duration);

    let dir = tempdir()?;
    let network = Network::mainnet();
    let mut policy = Policy::new(
        network.clone(),
        Some(alloy_primitives::Address::repeat_byte(0x11)),
    );
    // The bench's keys come and go with it; a cheap KDF keeps set-up short and does not touch
    // the signing path.
    let sealer = DevSealer::open(&dir, Kdf::Pbkdf2 { c: 16 }).map_err(|e| e.to_string())?;
    policy.max_skew_slots = 2;
    let enclave = Arc::new(
        Enclave::open(
            &DataDir::new(&dir),
            policy,
            Arc::new(sealer),
            AttestationConfig::Dev,
            Arc::new(SystemClock),
        )
        .map_err(|e| e.to_string())?,
    );

    // The runtime `lsv signer` serves on.
    let server_rt = lsv_signer::runtime(&enclave).map_err(|e| e.to_string())?;
    let keys = server_rt
        .block_on(async {
            let mut keys = Vec::new();
            while keys.len() < args.keys {
                let n = (args.keys - keys.len()).min(lsv_enclave::MAX_KEYS_PER_CALL);
                keys.extend(
                    enclave
                        .generate_keys(alloy_primitives::Address::repeat_byte(0x22), n)
                        .await?,
                );
            }
            Ok::<_, lsv_enclave::SignError>(keys)
        })
        .map_err(|e| e.to_string())?;
    let pubkeys: Vec<PublicKeyBytes> = keys.iter().map(|k| k.pubkey).collect();
    let now = network
        .slot_at_unix_time(SystemClock.unix_seconds())
        .ok_or("clock before genesis")?;
    let base_epoch = now
        .epoch(network.slots_per_epoch)
        .as_u64()
        .saturating_sub(200_000);
    let plan = Arc::new(Plan {
        network: network.clone(),
        pubkeys,
        base_epoch,
        url: String::new(),
    });

    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(enclave.clone());
    server_rt.spawn(lsv_signer::serve(listener, state, async {
        let _ = stop_rx.await;
    }));

    // Each key signs attestations with strictly rising targets, ending near the current epoch.
    let plan = Arc::new(Plan {
        url: format!("http://{addr}"),
        ..Arc::into_inner(plan).expect("one owner")
    });

    // The load generator gets its own named thread, so profiles tell its CPU from P's.
    let client_plan = plan.clone();
    let clients = args.clients;
    let (http_floor, single, (many, many_cpu)) = std::thread::Builder::new()
        .name("bench-client".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let p = client_plan;
            let floor = rt.block_on(load(p.clone(), 1, duration, 0, Workload::Upcheck))?;
            let single = rt.block_on(load(p.clone(), 1, duration, 0, Workload::Attestations))?;
            let cpu_before = (process_cpu(), thread_cpu());
            let many = rt.block_on(load(p, clients, duration, 1, Workload::Attestations))?;
            let cpu = match (cpu_before, (process_cpu(), thread_cpu())) {
                ((Some(p0), Some(c0)), (Some(p1), Some(c1))) => {
                    Some((p1.saturating_sub(p0), c1.saturating_sub(c0)))
                }
                _ => None,
            };
            Ok::<_, String>((floor, single, (many, cpu)))
        })
        .map_err(|e| e.to_string())?
        .join()
        .map_err(|_| "bench client panicked".to_owned())??;
    // P without HTTP: the same enclave call the API makes, from tasks on the server's runtime.
    let direct_one = server_rt.block_on(in_process(
        enclave.clone(),
        plan.clone(),
        1,
        duration,
        150_000,
    ))?;
    let direct_many = server_rt.block_on(in_process(
        enclave.clone(),
        plan.clone(),
        args.clients,
        duration,
        170_000,
    ))?;
    let _ = stop_tx.send(());
    drop(server_rt);
    let raw_after = raw_blst(cores, duration);
    let raw = (raw_before + raw_after) / 2.0;
    let mut report = String::new();
    report!(
        report,
        "raw blst signing, {cores} thread(s): {raw:.0} signatures/s (before {raw_before:.0}, after {raw_after:.0})"
    );

    report!(
        report,
        "HTTP round trip alone (GET /upcheck), 1 client: latency p50 {:.3} ms, p99 {:.3} ms",
        http_floor.p50 * 1e3,
        http_floor.p99 * 1e3
    );
    for (callers, r) in [(1, &direct_one), (args.clients, &direct_many)] {
        report!(
        report,
            "P in process, {callers} caller(s): {:.0} signatures/s, latency p50 {:.3} ms, p99 {:.3} ms",
            r.rate,
            r.p50 * 1e3,
            r.p99 * 1e3
        );
    }
    report!(
        report,
        "P over HTTP, 1 client:   {:.0} signatures/s, latency p50 {:.3} ms, p99 {:.3} ms",
        single.rate,
        single.p50 * 1e3,
        single.p99 * 1e3
    );
    report!(
        report,
        "P over HTTP, {} keys, {} clients: {:.0} signatures/s, latency p50 {:.3} ms, p99 {:.3} ms",
        plan.pubkeys.len(),
        args.clients,
        many.rate,
        many.p50 * 1e3,
        many.p99 * 1e3
    );
    report!(report, "ratio P / raw blst: {:.2}", many.rate / raw);
    // The same run by CPU time rather than wall time: what P itself spends per signed request
    // (its HTTP server, JSON, signing root, slashing-protection commit and the signature), the
    // load generator's thread excluded, against one raw signature on one core. Idle moments
    // (waits on fsync) count against the throughput ratio above, not against this one.
    if let Some((process, client)) = many_cpu {
        let signatures = many.rate * many.elapsed;
        let p_per_sig = process.saturating_sub(client).as_secs_f64() / signatures;
        let raw_per_sig = cores as f64 / raw;
        report!(
        report,
            "CPU per signature: P {:.0} us (load generator's {:.0} us excluded), raw blst {:.0} us: CPU efficiency {:.2}",
            p_per_sig * 1e6,
            client.as_secs_f64() / signatures * 1e6,
            raw_per_sig * 1e6,
            raw_per_sig / p_per_sig
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    crate::output::stdout(|w| w.write_all(report.as_bytes()))
}

fn tempdir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "lsv-bench-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

/// CPU time of the calling thread (Linux `schedstat`: nanoseconds on a CPU); `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    schedstat("/proc/thread-self/schedstat")
}

/// CPU time of every thread of this process so far (Linux); `None` elsewhere.
pub(crate) fn process_cpu() -> Option<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        total += schedstat(path.to_str()?)?;
    }
    Some(total)
}

fn schedstat(path: &str) -> Option<Duration> {
    let text = std::fs::read_to_string(path).ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Signatures per second from `threads` threads signing distinct messages with their own key.
fn raw_blst(threads: usize, duration: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let sk = SecretKey::key_gen(&[t as u8 + 1; 32], &[]).expect("valid ikm");
                let mut n = 0u64;
                let mut msg = [0u8; 32];
                while !stop.load(Ordering::Relaxed) {
                    msg[..8].copy_from_slice(&n.to_le_bytes());
                    std::hint::black_box(sk.sign(&msg, lsv_enclave::vault::BLS_DST, &[]));
                    n += 1;
                }
                n
            })
        })
        .collect();
    let start = Instant::now();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let total: u64 = handles
        .into_iter()
        .map(|h| h.join().expect("bench thread"))
        .sum();
    total as f64 / start.elapsed().as_secs_f64()
}

/// `callers` tasks calling `Enclave::sign` directly, each on its own keys, for `duration`.
async fn in_process(
    enclave: Arc<Enclave>,
    plan: Arc<Plan>,
    callers: usize,
    duration: Duration,
    epoch_offset: u64,
) -> Result<LoadResult, String> {
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..callers {
        let (enclave, plan) = (enclave.clone(), plan.clone());
        tasks.push(tokio::spawn(async move {
            let mine: Vec<PublicKeyBytes> = plan
                .pubkeys
                .iter()
                .skip(c)
                .step_by(callers)
                .copied()
                .collect();
            let mut latencies = Vec::new();
            let mut i = 0u64;
            while !mine.is_empty() && Instant::now() < deadline {
                let target = plan.base_epoch + epoch_offset + 1 + i / mine.len() as u64;
                let request =
                    lsv_consensus::SignRequest::from_json(plan.attestation_body(target).as_bytes())
                        .map_err(|e| e.to_string())?;
                let t = Instant::now();
                enclave
                    .sign(&mine[i as usize % mine.len()], &request)
                    .await
                    .map_err(|e| e.to_string())?;
                latencies.push(t.elapsed().as_secs_f64());
                i += 1;
            }
            Ok::<_, String>(latencies)
        }));
    }
    gather(tasks, start).await
}

struct Plan {
    network: Network,
    pubkeys: Vec<PublicKeyBytes>,
    base_epoch: u64,
    url: String,
}

impl Plan {
    fn attestation_body(&self, target: u64) -> String {
        let fork = self.network.fork_object_at(Epoch(target));
        let slot = target * self.network.slots_per_epoch;
        format!(
            r#"{{"type":"ATTESTATION","fork_info":{{"fork":{{"previous_version":"{}","current_version":"{}","epoch":"{}"}},"genesis_validators_root":"{}"}},"attestation":{{"slot":"{slot}","index":"0","beacon_block_root":"0x{:064x}","source":{{"epoch":"{}","root":"0x{:064x}"}},"target":{{"epoch":"{target}","root":"0x{:064x}"}}}}}}"#,
            fork.previous_version,
            fork.current_version,
            fork.epoch,
            self.network.genesis_validators_root,
            slot,
            target - 1,
            target - 1,
            target
        )
    }
}

#[derive(Clone, Copy)]
enum Workload {
    /// Signed attestations: the validator client's hot path.
    Attestations,
    /// `GET /upcheck`: the HTTP round trip alone, the floor under P's latency.
    Upcheck,
}

struct LoadResult {
    rate: f64,
    p50: f64,
    p99: f64,
    /// Seconds the run lasted.
    elapsed: f64,
}

/// `clients` tasks, each owning every `clients`-th key so no two tasks sign for one key, post
/// attestations with rising targets for `duration`. `round` keeps runs on disjoint epochs.
async fn load(
    plan: Arc<Plan>,
    clients: usize,
    duration: Duration,
    round: u64,
    workload: Workload,
) -> Result<LoadResult, String> {
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    let authority = plan
        .url
        .strip_prefix("http://")
        .ok_or("the signer's URL is not http://")?
        .to_owned();
    for c in 0..clients {
        let plan = plan.clone();
        let authority = authority.clone();
        tasks.push(tokio::spawn(async move {
            // One keep-alive connection per client, as a validator client holds to its signer.
            let mut connection = Connection::open(&authority).await?;
            let mine: Vec<PublicKeyBytes> = plan
                .pubkeys
                .iter()
                .skip(c)
                .step_by(clients)
                .copied()
                .collect();
            let mut latencies = Vec::new();
            if mine.is_empty() {
                return Ok(latencies);
            }
            let mut request = Vec::new();
            let mut i: u64 = 0;
            while Instant::now() < deadline {
                let key = mine[(i as usize) % mine.len()];
                let target = plan.base_epoch + round * 60_000 + 1 + i / mine.len() as u64;
                request.clear();
                match workload {
                    Workload::Attestations => {
                        let body = plan.attestation_body(target);
                        write!(
                            request,
                            "POST /api/v1/eth2/sign/{key} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\naccept: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        )
                    }
                    Workload::Upcheck => write!(
                        request,
                        "GET /upcheck HTTP/1.1\r\nhost: {authority}\r\n\r\n"
                    ),
                }
                .map_err(|e| e.to_string())?;
                let t = Instant::now();
                let (status, body) = connection.round_trip(&request).await?;
                if status != 200 {
                    return Err(format!(
                        "signer answered {status}: {}",
                        String::from_utf8_lossy(body)
                    ));
                }
                latencies.push(t.elapsed().as_secs_f64());
                i += 1;
            }
            Ok::<_, String>(latencies)
        }));
    }
    gather(tasks, start).await
}

/// The load generator's side of one keep-alive HTTP/1.1 connection: it writes a request whole
/// and reads the answer into a reused buffer, with `httparse` (hyper's own parser) for the
/// head. It shares the cores with P, so it spends as little as it can: no pool, no connection
/// task, no per-request allocation beyond the request text. TCP_NODELAY as validator
/// clients' HTTP stacks set it.
struct Connection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(authority: &str) -> Result<Self, String> {
        let stream = tokio::net::TcpStream::connect(authority)
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` and returns the answer's status and body. Answers must carry a
    /// `Content-Length` (axum sets one on every answer P gives).
    async fn round_trip(&mut self, request: &[u8]) -> Result<(u16, &[u8]), String> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| e.to_string())?;
        self.buffer.clear();
        loop {
            if self.buffer.len() == self.buffer.capacity() {
                self.buffer.reserve(self.buffer.len());
            }
            let n = self
                .stream
                .read_buf(&mut self.buffer)
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the signer closed the connection".into());
            }
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut head = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head_len) =
                head.parse(&self.buffer).map_err(|e| e.to_string())?
            else {
                continue;
            };
            let length = head
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
                .ok_or("answer without a Content-Length")?;
            let status = head.code.unwrap_or(0);
            if self.buffer.len() >= head_len + length {
                return Ok((status, &self.buffer[head_len..head_len + length]));
            }
        }
    }
}

/// Waits for every load task and summarises their latencies over the time since `start`.
async fn gather(
    tasks: Vec<tokio::task::JoinHandle<Result<Vec<f64>, String>>>,
    start: Instant,
) -> Result<LoadResult, String> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    if all.is_empty() {
        return Err("no request completed".into());
    }
    Ok(LoadResult::from_latencies(
        all,
        start.elapsed().as_secs_f64(),
    ))
}

impl LoadResult {
    fn from_latencies(mut all: Vec<f64>, elapsed: f64) -> Self {
        all.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
        LoadResult {
            rate: all.len() as f64 / elapsed,
            p50: pct(0.50),
            p99: pct(0.99),
            elapsed,
        }
    }
}
