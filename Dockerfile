# Pantau's Airflow image: the official Airflow image with our pinned dependencies and the project.
# The FROM tag must name the same Airflow as requirements.txt's `apache-airflow==` pin and Python 3.11
# (tests/deploy/test_compose.py checks it): bump both together when upgrading Airflow.
FROM apache/airflow:3.3.2-python3.11

ARG AIRFLOW_VERSION=3.3.2

# Pantau's settings point here (the expectations suites ship beside the library, not inside the wheel);
# the simulators' world lives in a named volume mounted at /opt/pantau-sim.
ENV PANTAU_EXPECTATIONS_DIR=/opt/pantau/expectations \
    PANTAU_HOME=/opt/airflow/pantau \
    GX_ANALYTICS_ENABLED=False \
    PIP_DISABLE_PIP_VERSION_CHECK=1

USER root
# Owned by the airflow user and group 0 and group-writable, as the official image does, so that any
# AIRFLOW_UID (run with group 0) can write; a fresh named volume mounted here copies these modes.
RUN mkdir -p /opt/pantau /opt/pantau-sim /opt/airflow/pantau \
 && chown -R airflow:0 /opt/pantau /opt/pantau-sim /opt/airflow/pantau \
 && chmod -R g+rwX /opt/pantau /opt/pantau-sim /opt/airflow/pantau
USER airflow

# Dependencies first (their layer is reused while only the code changes). Naming apache-airflow with the
# base's version keeps pip from moving Airflow itself while it resolves our pins.
COPY --chown=airflow:0 requirements.txt /opt/pantau/requirements.txt
COPY --chown=airflow:0 deploy/requirements-image.txt /opt/pantau/deploy/requirements-image.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" \
      -r /opt/pantau/requirements.txt -r /opt/pantau/deploy/requirements-image.txt

# The project: the library (include/), the Airflow glue (plugins/), the DAGs and the expectation suites.
COPY --chown=airflow:0 pyproject.toml README.md /opt/pantau/
COPY --chown=airflow:0 include /opt/pantau/include
COPY --chown=airflow:0 plugins /opt/pantau/plugins
COPY --chown=airflow:0 expectations /opt/pantau/expectations
RUN pip install --no-cache-dir --no-deps /opt/pantau
COPY --chown=airflow:0 dags /opt/airflow/dags
