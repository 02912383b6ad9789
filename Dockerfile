# Rectifier's container image: rectifier-server and the rectifier CLI on Debian 12, built from this tree
# with Debian's packages only (nothing downloaded but .debs from the Debian archive).
#
#   buildah bud --format docker -t rectifier .     (or: docker build -t rectifier .)
#   docker run -p 50051:50051 -p 9464:9464 rectifier [rectifier-server flags]
#
# Every server flag is also an environment variable (--max-message-bytes is RECTIFIER_MAX_MESSAGE_BYTES;
# `docker run rectifier --help` lists them). deploy/test-image.sh builds and checks this image without a
# Docker engine.

# ---- build stage: the release binaries, without tests or benchmarks -------------------------------------
FROM debian:bookworm AS build
WORKDIR /src
# Dependencies first, so that their layer is reused while only the sources change.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
# .dockerignore keeps build directories, .git, node_modules, tests, benchmarks and deploy/ out of the context.
COPY . .
RUN cmake -G Ninja -S . -B /build -DCMAKE_BUILD_TYPE=Release \
      -DRECTIFIER_BUILD_TESTS=OFF -DRECTIFIER_BUILD_BENCH=OFF \
 && cmake --build /build --parallel "$(nproc)" --target rectifier-server rectifier-cli \
 && install -D --strip -m 0755 /build/server/rectifier-server /out/rectifier-server \
 && install -D --strip -m 0755 "$(find /build/client -maxdepth 2 -type f -name rectifier)" /out/rectifier \
 && rm -rf /build

# ---- runtime stage: the shared libraries and the binaries -----------------------------------------------
FROM debian:bookworm-slim
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --runtime-only && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
COPY --from=build /out/ /usr/local/bin/

# The server calls oneDNN (OpenMP) from many threads: spinning OpenMP workers stall their neighbours on a
# shared node.
ENV OMP_WAIT_POLICY=passive
# A numeric user (no /etc/passwd entry needed), so that Kubernetes' runAsNonRoot can verify it. The server
# writes nothing: the root file system may be read-only.
USER 65532:65532
# gRPC (rectifier.v1, health, reflection) and Prometheus metrics; add --health-address for a plaintext
# health-only port (Kubernetes probes when the main port uses TLS).
EXPOSE 50051 9464
# With another --address, or TLS on the main port, override this check (docker run --health-cmd ...).
HEALTHCHECK --interval=10s --timeout=6s --start-period=15s --retries=3 \
  CMD ["rectifier", "health", "--address", "127.0.0.1:50051"]
ENTRYPOINT ["rectifier-server"]
CMD []
