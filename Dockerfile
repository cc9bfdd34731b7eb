# The playground as a container: one server for a whole class.
#   docker build -t nn-playground . && docker run -p 8501:8501 nn-playground   ->  http://localhost:8501
# Datasets and uploads live in /app/data (the only folder the app writes): mount a volume there to keep them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NNLIB_HOST=0.0.0.0

RUN useradd --create-home --uid 1000 playground
WORKDIR /app

# dependencies first, so editing the code does not reinstall torch
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# code stays root-owned (read-only for the server); only the data folder is writable by the app user
COPY . .
RUN mkdir -p /app/data/uploads && chown -R playground:playground /app/data

USER 1000
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"]

CMD ["python", "-m", "streamlit", "run", "app.py", "--server.headless=true", "--server.address=0.0.0.0", \
     "--server.port=8501", "--browser.gatherUsageStats=false"]
