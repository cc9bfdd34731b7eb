# The playground as a container: one server for a whole class.
#   docker build -t nn-playground . && docker run -p 8501:8501 -v nn-data:/data nn-playground  ->  http://localhost:8501
# Datasets, uploads and the class database (SQLite unless NNLIB_DATABASE_URL names PostgreSQL) live in /data: the
# only folder the app writes. Every setting is an environment variable (README, "Settings"); compose.yaml adds
# PostgreSQL and an optional Ray head.
FROM python:3.11-slim

# Which torch build to install. The default, PyTorch's CPU wheel index, gives the same torch/torchvision versions
# as requirements.txt without the ~4.3 GB of CUDA libraries a classroom CPU server never uses. An empty value
# (--build-arg TORCH_INDEX=) installs whatever pip is configured with: PyPI's CUDA build, or a local wheel mirror
# (bench/container_check.sh builds this way, from the build machine's wheels, where that index cannot be reached).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NNLIB_HOST=0.0.0.0 \
    NNLIB_DATA_DIR=/data \
    NUMBA_CACHE_DIR=/opt/numba-cache

RUN useradd --create-home --uid 1000 playground
WORKDIR /app

# dependencies first, so editing the code does not reinstall torch; torch/torchvision first, from TORCH_INDEX,
# at requirements.txt's own pins (the second install then finds them satisfied). Ray is the optional backend.
COPY requirements.txt requirements-ray.txt ./
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN if [ -n "$TORCH_INDEX" ]; then \
      grep -E '^torch(vision)?==' requirements.txt | cut -d'#' -f1 | \
        xargs pip install --no-cache-dir --index-url "$TORCH_INDEX"; \
    fi && \
    pip install --no-cache-dir -r requirements.txt -r requirements-ray.txt

# code stays root-owned (read-only for the server); only the data volume is writable by the app user
COPY . .
RUN mkdir -p /data/uploads && chown -R playground:playground /data
# compile the training kernels into numba's cache now (about a minute once per build, mostly the batched SIMD
# pass): otherwise every container start spends that CPU in its workers while the first class is training. The
# cache stays writable by the app user, for a machine whose CPU differs from the build's (numba then recompiles).
RUN python -c "from nnlib.train import job; job.warmup(); from nnlib.train.batched_kernel import warmup; warmup(background=False)" && \
    chown -R playground:playground /opt/numba-cache
VOLUME ["/data"]

USER 1000
EXPOSE 8501
# /nnlive/health is "ok" only when a job worker is up and has loaded the training engine (ui/health_route.py);
# Streamlit's /_stcore/health would say ok even when every run fails
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/nnlive/health', timeout=4).read() == b'ok' else 1)"]

CMD ["python", "-m", "streamlit", "run", "app.py", "--server.headless=true", "--server.address=0.0.0.0", \
     "--server.port=8501", "--browser.gatherUsageStats=false"]
