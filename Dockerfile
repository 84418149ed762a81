# The zendesk_assets code location: a Dagster gRPC code server (`dagster code-server start`) that the
# webserver and daemon load definitions from and that launches runs. docker-compose.yaml runs the
# webserver and the daemon from this image too; on Kubernetes it is the Helm chart's user deployment.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/home

RUN groupadd --system --gid 10001 zendesk \
    && useradd --system --uid 10001 --gid zendesk --home-dir /opt/dagster --no-create-home zendesk \
    && mkdir -p /opt/dagster/app /opt/dagster/home \
    && chown zendesk:zendesk /opt/dagster/home && chmod 0700 /opt/dagster/home

WORKDIR /opt/dagster/app
COPY pyproject.toml README.md ./
COPY zendesk_assets ./zendesk_assets
# The same install as `make` and CI (pins from pyproject.toml); the k8s extra instead of the dev one
# (run pods on Kubernetes load an instance file that names dagster_k8s.K8sRunLauncher).
RUN python -m pip install --quiet --upgrade pip \
    && python -m pip install --quiet '.[k8s]'

USER 10001:10001
EXPOSE 4000
# umask 077: files Dagster and the sync create (instance files, state, logs) are readable by their owner only.
ENTRYPOINT ["/bin/sh", "-c", "umask 077 && exec \"$@\"", "--"]
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "zendesk_assets.definitions", "--location-name", "zendesk_assets"]
