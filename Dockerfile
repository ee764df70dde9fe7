# syntax=docker/dockerfile:1
# P (`lsv signer`) in a container. Written for, not built on, the development machines (they run
# no Docker engine); read it before you build it.
#
#   docker build -t lsv .
#   docker volume create lsv-hoodi
#   # once: make the P in the volume and print what a verifier and C need (the attester)
#   docker run --rm -v lsv-hoodi:/data -e LSV_NETWORK=hoodi lsv attestation --init
#   # the signer: publish its port on loopback only (the API has no authentication)
#   docker run -d --name lsv -v lsv-hoodi:/data -p 127.0.0.1:9000:9000 -p 127.0.0.1:9001:9001 \
#       -e LSV_NETWORK=hoodi -e LSV_WITHDRAWAL_CONTRACT=0x<C> lsv
#   docker stop lsv            # SIGTERM: stops within 5 s
#
# Every flag is an LSV_* variable (`lsv --help`), or a key of a YAML file mounted and named by
# LSV_CONFIG_FILE. While the signer runs, the other commands (keys list, slashing export) refuse
# its data directory: use its HTTP routes, or stop it and `docker run --rm -v lsv-hoodi:/data lsv …`.

FROM rust:1.94.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libtss2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p lsv

FROM debian:bookworm-slim
# tpm2-tss's libraries for the `tpm2` freshness anchor (--anchor tpm2 with
# --tpm2-tcti device:/dev/tpmrm0 and `--device /dev/tpmrm0` on `docker run`).
RUN apt-get update && apt-get install -y --no-install-recommends libtss2-esys-3.0.2-0 \
        libtss2-tctildr0 libtss2-tcti-device0 libtss2-tcti-swtpm0 libtss2-mu0 libtss2-sys1 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin lsv \
    && install -d -o lsv -g lsv -m 0700 /data
COPY --from=build /src/target/release/lsv /usr/local/bin/lsv
USER lsv
# One P per container, in the volume; the API on every interface of the container, so that the
# host can publish it (publish it on loopback: -p 127.0.0.1:9000:9000).
ENV LSV_DATA_DIR=/data \
    LSV_LISTEN=0.0.0.0:9000 \
    LSV_METRICS_LISTEN=0.0.0.0:9001
VOLUME ["/data"]
EXPOSE 9000 9001
STOPSIGNAL SIGTERM
ENTRYPOINT ["lsv"]
CMD ["signer"]
