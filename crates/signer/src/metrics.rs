//! Prometheus metrics: signings permitted and refused, by type and outcome, and their latency.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub signings: IntCounterVec,
    pub latency: HistogramVec,
    pub keys: IntGauge,
}

/// The outcome label of a signing request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Signed,
    RefusedSlashing,
    RefusedPolicy,
    BadRequest,
    UnknownKey,
    Error,
}

impl Outcome {
    pub const fn label(self) -> &'static str {
        match self {
            Outcome::Signed => "signed",
            Outcome::RefusedSlashing => "refused_slashing",
            Outcome::RefusedPolicy => "refused_policy",
            Outcome::BadRequest => "bad_request",
            Outcome::UnknownKey => "unknown_key",
            Outcome::Error => "error",
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("lsv".into()), None).expect("valid registry prefix");
        let signings = IntCounterVec::new(
            Opts::new(
                "signing_requests_total",
                "Signing requests by type and outcome",
            ),
            &["type", "outcome"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "signing_latency_seconds",
                "Time from request to response, by type",
            )
            .buckets(vec![
                0.0002, 0.0004, 0.0006, 0.0008, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
            ]),
            &["type"],
        )
        .expect("valid metric");
        let keys = IntGauge::new("keys_loaded", "Validator keys held by this signer")
            .expect("valid metric");
        registry
            .register(Box::new(signings.clone()))
            .expect("register once");
        registry
            .register(Box::new(latency.clone()))
            .expect("register once");
        registry
            .register(Box::new(keys.clone()))
            .expect("register once");
        Self {
            registry,
            signings,
            latency,
            keys,
        }
    }

    pub fn record(&self, type_name: &str, outcome: Outcome, seconds: f64) {
        self.signings
            .with_label_values(&[type_name, outcome.label()])
            .inc();
        self.latency
            .with_label_values(&[type_name])
            .observe(seconds);
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding never fails");
        String::from_utf8(buf).expect("prometheus text is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
