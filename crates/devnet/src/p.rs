//! Program P, the real one, in this process: the enclave opened on a data directory with the
//! development backend (software sealing, `dev` attestation), pinned to the devnet's
//! `config.yaml` as `lsv signer --network FILE` pins it, serving the signer's HTTP API on a
//! loopback port. The devnet's validators whose keys it holds sign every duty through that API
//! ([`crate::remote::RemoteSigner`]), so P's policy and slashing protection are on the path.

use alloy_primitives::Address;
use lsv_consensus::Network;
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{AttestationConfig, DataDir, DevSealer, Enclave, Policy, SystemClock};
use lsv_signer::AppState;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// P serving its API, on a runtime of its own, until dropped.
pub struct RunningP {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The server's state (its metrics).
    pub state: Arc<AppState>,
    /// The enclave behind the API (for what a test reads from it directly).
    pub enclave: Arc<Enclave>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    // Dropped last: the server's tasks run on it.
    runtime: Option<tokio::runtime::Runtime>,
}

impl RunningP {
    /// Opens P on `data_dir` (created if new) pinned to the network in `config_yaml` (a file,
    /// read as `lsv signer --network FILE` reads it), deposits only to `c`, the system clock,
    /// and serves its API on `listen` (port 0: any free one).
    ///
    /// The sealing password's key derivation is cheap (PBKDF2, 16 rounds): a devnet's keys are
    /// throwaway, and start-up stays short.
    pub fn start(
        data_dir: &Path,
        config_yaml: &Path,
        c: Address,
        listen: SocketAddr,
    ) -> Result<Self, String> {
        let network = Network::from_config_file(config_yaml)
            .map_err(|e| format!("{}: {e}", config_yaml.display()))?;
        std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let sealer = DevSealer::open(data_dir, Kdf::Pbkdf2 { c: 16 })
            .map_err(|e| format!("P's sealer: {e}"))?;
        let enclave = Arc::new(
            Enclave::open(
                &DataDir::new(data_dir),
                Policy::new(network, Some(c)),
                Arc::new(sealer),
                AttestationConfig::Dev,
                Arc::new(SystemClock),
            )
            .map_err(|e| format!("P does not open: {e}"))?,
        );
        let runtime = lsv_signer::runtime(&enclave).map_err(|e| format!("P's runtime: {e}"))?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(listen))
            .map_err(|e| format!("P cannot listen on {listen}: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let state = AppState::new(enclave.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(lsv_signer::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Ok(Self {
            url: format!("http://{address}"),
            state,
            enclave,
            stop: Some(stop),
            runtime: Some(runtime),
        })
    }

    /// Runs `future` on P's runtime (for calls into the enclave that are async).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime
            .as_ref()
            .expect("the runtime lives until drop")
            .block_on(future)
    }

    /// P's count of requests of `kind` (`ATTESTATION`, …) with `outcome` (`signed`,
    /// `refused_slashing`, …): its Prometheus counter.
    pub fn count(&self, kind: &str, outcome: &str) -> u64 {
        self.state
            .metrics
            .signings
            .with_label_values(&[kind, outcome])
            .get()
    }
}

impl Drop for RunningP {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        }
    }
}
