//! Prometheus metrics: signings permitted and refused, by type and outcome, and their latency.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The signer's Prometheus registry, prefixed `lsv_`.
pub struct Metrics {
    registry: Registry,
    /// `lsv_signing_requests_total{type, outcome}`.
    pub signings: IntCounterVec,
    /// `lsv_signing_latency_seconds{type}`: from request to response.
    pub latency: HistogramVec,
    /// `lsv_keys_loaded`: validator keys P holds.
    pub keys: IntGauge,
}

/// The outcome label of a signing request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A signature was returned (200).
    Signed,
    /// Refused by slashing protection (412).
    RefusedSlashing,
    /// Refused by P's policy (412).
    RefusedPolicy,
    /// The request was malformed, for another network or otherwise the caller's mistake (400).
    BadRequest,
    /// P holds no such key (404).
    UnknownKey,
    /// P's own failure (500).
    Error,
}

impl Outcome {
    /// The value of the `outcome` label.
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
    /// A fresh registry with every metric at zero.
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

    /// Counts one request of `type_name` with `outcome`, taking `seconds` from request to response.
    pub fn record(&self, type_name: &str, outcome: Outcome, seconds: f64) {
        self.signings
            .with_label_values(&[type_name, outcome.label()])
            .inc();
        self.latency
            .with_label_values(&[type_name])
            .observe(seconds);
    }

    /// The registry in Prometheus text format.
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

/// The coordinator's Prometheus registry (`lsv cluster serve`'s `GET /metrics`), prefixed
/// `lsv_cluster_`: what it answered the validator client, and what each device answered it.
pub struct ClusterMetrics {
    registry: Registry,
    /// `lsv_cluster_signing_requests_total{status}`: the HTTP status answered.
    pub signings: IntCounterVec,
    /// `lsv_cluster_signing_latency_seconds`: from request to response.
    pub latency: prometheus::Histogram,
    /// `lsv_cluster_device_answers_total{device, answer}`: `partial` (a partial signature
    /// arrived), `wrong_partial` (one that does not verify under the device's share key),
    /// `refused` (an HTTP error status), `failed` (no usable answer: down, timed out).
    pub device_answers: IntCounterVec,
}

impl ClusterMetrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("lsv_cluster".into()), None).expect("valid registry prefix");
        let signings = IntCounterVec::new(
            Opts::new(
                "signing_requests_total",
                "Signing requests by the HTTP status answered",
            ),
            &["status"],
        )
        .expect("valid metric");
        let latency = prometheus::Histogram::with_opts(
            HistogramOpts::new("signing_latency_seconds", "Time from request to response").buckets(
                vec![
                    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0,
                ],
            ),
        )
        .expect("valid metric");
        let device_answers = IntCounterVec::new(
            Opts::new("device_answers_total", "Answers from each device, by kind"),
            &["device", "answer"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(signings.clone()))
            .expect("register once");
        registry
            .register(Box::new(latency.clone()))
            .expect("register once");
        registry
            .register(Box::new(device_answers.clone()))
            .expect("register once");
        Self {
            registry,
            signings,
            latency,
            device_answers,
        }
    }

    /// Counts one answer of device `index`.
    pub fn device(&self, index: u8, answer: &str) {
        self.device_answers
            .with_label_values(&[&index.to_string(), answer])
            .inc();
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding never fails");
        String::from_utf8(buf).expect("prometheus text is UTF-8")
    }
}

impl Default for ClusterMetrics {
    fn default() -> Self {
        Self::new()
    }
}
