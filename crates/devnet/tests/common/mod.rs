//! What the devnet's tests share: a real P, in this process, on a loopback port.
#![allow(dead_code)]

use alloy_primitives::Address;
use lsv_consensus::Network;
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{AttestationConfig, DevSealer, Enclave, Policy, SystemClock};
use lsv_signer::AppState;
use std::sync::Arc;

/// A real P serving its API on 127.0.0.1, on a runtime of its own.
pub(crate) struct RunningP {
    pub url: String,
    pub state: Arc<AppState>,
    pub enclave: Arc<Enclave>,
    pub runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl RunningP {
    /// P pinned to the network in `config_yaml` (written to its directory and read back as
    /// `lsv signer --network FILE` reads it), withdrawals to `c`, the system clock.
    pub(crate) fn start(dir: tempfile::TempDir, config: &std::path::Path, c: Address) -> Self {
        let network = Network::from_config_file(config).expect("the devnet's config.yaml");
        let data = dir.path().join("p");
        std::fs::create_dir(&data).expect("P's data directory");
        let sealer = DevSealer::open(&data, Kdf::Pbkdf2 { c: 16 }).expect("a dev sealer");
        let enclave = Arc::new(
            Enclave::open(
                &lsv_enclave::enclave::DataDir::new(&data),
                Policy::new(network, Some(c)),
                Arc::new(sealer),
                AttestationConfig::Dev,
                Arc::new(SystemClock),
            )
            .expect("P opens"),
        );
        let runtime = lsv_signer::runtime(&enclave).expect("P's runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let state = AppState::new(enclave.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(lsv_signer::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Self {
            url,
            state,
            enclave,
            runtime,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// P's count of requests of `kind` with `outcome` (its Prometheus counter).
    pub(crate) fn count(&self, kind: &str, outcome: &str) -> u64 {
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
    }
}
