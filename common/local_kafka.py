"""A single-node Apache Kafka (KRaft) for local runs and tests, from Maven Central.

`fetch` resolves the broker's jars with Maven from `kafka/pom.xml` into the git-ignored state dir
(once: a stamp records which pom was fetched). `start` formats the storage the first time, starts
`kafka.Kafka` bound to 127.0.0.1 as a detached process with a pid file, and waits until it serves
metadata; a second `start` finds it running. `stop` ends it gracefully, then forcibly.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from common.settings import LOCAL_KAFKA_PORT, REPO_ROOT

POM = REPO_ROOT / "kafka" / "pom.xml"
LOG4J = REPO_ROOT / "kafka" / "log4j2.properties"


class LocalKafkaError(RuntimeError):
    """The local broker could not be fetched, formatted or started."""


def fetch(lib_dir: Path) -> Path:
    """Resolve the broker jars into lib_dir with Maven; a no-op when this pom was fetched before."""
    stamp = lib_dir / ".pom-sha256"
    want = hashlib.sha256(POM.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return lib_dir
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalKafkaError("Maven (`mvn`) is needed to fetch Kafka from Maven Central; install it first")
    if shutil.which("java") is None:
        raise LocalKafkaError("Java 17+ (`java`) is needed to run the local Kafka broker")
    if lib_dir.exists():
        shutil.rmtree(lib_dir)
    lib_dir.mkdir(parents=True)
    cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={lib_dir}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LocalKafkaError(f"Maven could not fetch Kafka:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    stamp.write_text(want)
    return lib_dir


@dataclass(frozen=True)
class LocalKafka:
    """One broker instance: its folder, its ports. Tests use their own folder and ports."""

    root: Path  # made absolute in __post_init__: Maven resolves relative paths against the pom
    port: int = LOCAL_KAFKA_PORT
    controller_port: int = LOCAL_KAFKA_PORT + 1
    heap: str = "512m"

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.root.resolve())

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def lib_dir(self) -> Path:
        # One download serves every instance (local run, tests, load runs) of this checkout.
        return REPO_ROOT / ".hitstream" / "kafka-lib"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def pid_file(self) -> Path:
        return self.root / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "broker.log"

    def _properties(self) -> Path:
        path = self.root / "server.properties"
        path.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self.data_dir}",
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "log.retention.check.interval.ms=60000",
                    "",
                ]
            )
        )
        return path

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J}",
            "-cp",
            f"{self.lib_dir}/*",
            main,
            *args,
        ]

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            # Reap it if it is our own exited child (tests start and stop it in one process).
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return None
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def answering(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def start(self, timeout_s: float = 90.0) -> str:
        """Start the broker (or find it running) and return its bootstrap address."""
        if self.pid() is not None and self._wait_ready(timeout_s):
            return self.bootstrap
        if self.answering():
            raise LocalKafkaError(
                f"port {self.port} is taken by another process; stop it or set KAFKA_BOOTSTRAP_SERVERS"
            )
        fetch(self.lib_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        props = self._properties()
        if not (self.data_dir / "meta.properties").exists():
            self._format(props)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                self._java("kafka.Kafka", str(props)),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives the CLI that started it, like a daemon
            )
        self.pid_file.write_text(str(proc.pid))
        if not self._wait_ready(timeout_s, proc):
            raise LocalKafkaError(f"Kafka did not start within {timeout_s:.0f}s; see {self.log_file}")
        return self.bootstrap

    def _format(self, props: Path) -> None:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        cluster_id = _kafka_uuid()
        # `--cluster-id=…` in one word: an id may start with "-", which would read as an option.
        cmd = self._java(
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={cluster_id}",
            "-c",
            str(props),
            "--standalone",
        )
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise LocalKafkaError(f"formatting Kafka storage failed:\n{proc.stdout}{proc.stderr}")

    def _wait_ready(self, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                return False
            if self.answering():
                admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
                try:
                    if admin.list_topics(timeout=2).brokers:
                        return True
                except KafkaException:
                    pass
            time.sleep(0.3)
        return False

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker; True if one was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.pid() is not None:
            time.sleep(0.2)
        if self.pid() is not None:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True


def _kafka_uuid() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding."""
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
