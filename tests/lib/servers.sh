# shellcheck shell=bash source-path=SCRIPTDIR
# tests/lib/servers.sh - real servers for the integration tests.
#
# What it is for: giving one bash test its own throwaway PostgreSQL 15
# cluster, Podman Docker-API service, OCI registry and HTTP fixture, each in
# a private temporary directory, reachable only through a unix socket or
# 127.0.0.1, and torn down when the test exits - however it exits.  Like
# redis's start_server or curl's test servers.  What it is not for: shared
# or long-lived servers, anything reachable from outside the machine, or
# installing the servers (that is `make deps`).
#
# Sourcing it (it sources tap.sh too) creates $UPKEEP_TEST_TMP, a fresh
# directory under ${TMPDIR:-/tmp}, and registers an EXIT hook that stops
# every server this test started and removes the directory.
#
#   pg_start [CONF_LINE...]   PostgreSQL 15, unix socket only; CONF_LINEs are
#                             appended to postgresql.conf ("autovacuum = on").
#       exports PGHOST (the socket directory), PGPORT, PGUSER=postgres,
#       PGDATABASE=postgres, PG_BINDIR (also put first on PATH, so psql,
#       pg_dump, vacuumdb are the server's version), PG_DATA (data dir)
#   pg_stop
#   podman_start              `podman system service` on a unix socket, on an
#                             isolated store (vfs) in the temp dir
#       exports DOCKER_HOST=unix://..., PODMAN_SOCK (the socket path),
#       CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF
#       and puts a podman wrapper first on PATH (so even a bare `podman` uses
#       the isolated store and leaves /var/lib/containers alone); sets the
#       array PODMAN (the CLI with explicit store flags: "${PODMAN[@]}" images)
#       and the function podman_cli ARGS... (the same).  Prefer starting
#       containers through the API: the conmon of a container started by
#       the CLI is not under the supervisor (podman_stop kills it by path,
#       but a test shell killed with SIGKILL leaves it running).
#       Containers really run: runc, cgroupfs, ulimits at or below the
#       VM's, the host's network (shared/REAL-PEERS.md).
#   podman_stop               also removes every container (podman rm
#                             --all --force) and SIGKILLs whatever is left in
#                             their cgroups, then removes those cgroups
#   podman_base_image         (containers.sh) a busybox-static image, no
#                             registry; exports BASE_IMAGE (localhost/upkeep/base:1)
#   podman_pg_image           an image running the host's PostgreSQL (with
#                             -v /usr:/usr:ro); exports PG_IMAGE
#   podman_pg_start NAME      PostgreSQL 15 in container NAME (through the
#                             API), socket on a volume, superuser `app`, trust
#       exports PG_CONTAINER=NAME, PG_CONTAINER_SOCK (the socket volume's
#       host dir: psql -h "$PG_CONTAINER_SOCK" -U app -d postgres),
#       PG_CONTAINER_DATA; in the container: /sock, /data/d, --user postgres
#   podman_pg_stop NAME       stop and remove it
#   compose_cli ARGS...       Debian's docker-compose with DOCKER_HOST at the
#                             fixture's socket (starts the fixture if needed)
#   registry_start            docker-registry (distribution 2.8), filesystem
#                             storage in the temp dir, deletes enabled, no auth
#       exports REGISTRY=127.0.0.1:PORT
#   registry_stop
#   http_start                tests/lib/http_fixture.py
#       exports HTTP_FIXTURE=http://127.0.0.1:PORT
#   http_set PATH STATUS [BODY] [DELAY_SECONDS]   script the answer for PATH
#   http_route JSON           the same with the full JSON (headers, ...)
#   http_requests             print the recorded requests (JSON array)
#   http_reset                forget routes and recorded requests
#   http_stop
#   free_port                 print a TCP port that was free a moment ago
#   procs_mentioning STRING   print "PID CMDLINE" of processes whose command
#                             line contains STRING (e.g. a path of ours)
#   servers_teardown          stop everything, remove $UPKEEP_TEST_TMP
#                             (idempotent; the EXIT hook calls it)
#
# Call the start functions in the test's main shell (not inside $(...)), and
# before the first assertion if the test might be skipped: a missing server
# program FAILS the test when CI=true (with what to install: `make deps`)
# and skips the whole test, loudly, on a developer machine.  A server that
# does not answer within $UPKEEP_SERVER_TIMEOUT seconds (30) fails the test
# with the tail of its log.
#
# No orphans: every server runs under a small supervisor (supervise.py,
# written into the temp dir) that is a child subreaper - whatever the server
# daemonizes (conmon, ...) stays its descendant - and that kills the whole
# tree when asked to stop, when the server exits, or when the test shell
# dies without running its EXIT trap (even SIGKILL).  It also reaps them,
# which matters where PID 1 reaps late (this VM's left zombies for minutes).
#
# Knobs: UPKEEP_SERVER_TIMEOUT (30), UPKEEP_KEEP_TMP=1 (keep the temp dir and
# logs, print where), UPKEEP_PYTHON (python3 to use), PG_BINDIR
# (/usr/lib/postgresql/15/bin), CI=true.

[ -n "${_SERVERS_SH_LOADED:-}" ] && return 0
_SERVERS_SH_LOADED=1

UPKEEP_TEST_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=./tap.sh
. "$UPKEEP_TEST_LIB/tap.sh"

# The system python starts in ~40 ms; a pyenv shim takes ~200 ms per call.
if [ -z "${UPKEEP_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then UPKEEP_PYTHON=/usr/bin/python3; else UPKEEP_PYTHON=python3; fi
fi
UPKEEP_SERVER_TIMEOUT=${UPKEEP_SERVER_TIMEOUT:-30}

declare -A _srv_pid=()    # server name -> supervisor pid
declare -A _srv_log=()    # server name -> its log file
declare -A _srv_stop=()   # server name -> its stop function
declare -A _srv_log_shown=()  # log file -> 1 once a failure has shown its tail
_srv_order=()             # names in start order (teardown runs backwards)

_servers_name=${0##*/}
_servers_name=${_servers_name%.t}
UPKEEP_TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/upkeep-${_servers_name}.XXXXXX") ||
	bail_out "cannot create a temporary directory under ${TMPDIR:-/tmp}"
# Traversable (not listable) by others: PostgreSQL runs as `postgres`.
chmod 0711 "$UPKEEP_TEST_TMP"
export UPKEEP_TEST_TMP

# ---------------------------------------------------------------------------
# The supervisor.  Python rather than bash because it needs prctl(2) and
# sigtimedwait(2).  It runs CMD (optionally as another user, in its own
# session), and when it gets SIGTERM/SIGINT/SIGHUP, or CMD exits, or its
# parent (the test shell) goes away, it sends CMD the --term-signal, waits
# --grace seconds, then SIGTERMs and finally SIGKILLs every remaining
# descendant and reaps them all before exiting.
cat >"$UPKEEP_TEST_TMP/supervise.py" <<'PY'
import ctypes, os, pwd, signal, sys, time

def main():
    argv = sys.argv[1:]
    opts = {"--name": "server", "--user": None, "--term-signal": "TERM", "--grace": "10"}
    while argv and argv[0] != "--":
        if argv[0] not in opts or len(argv) < 2:
            sys.exit("supervise: usage: supervise.py [--name N] [--user U] "
                     "[--term-signal SIG] [--grace SECS] -- CMD...")
        opts[argv[0]] = argv[1]
        argv = argv[2:]
    cmd = argv[1:]
    if not cmd:
        sys.exit("supervise: no command")
    name = opts["--name"]
    term_sig = getattr(signal, "SIG" + opts["--term-signal"])
    grace = float(opts["--grace"])

    def say(msg):
        sys.stderr.write("supervise[%s]: %s\n" % (name, msg))
        sys.stderr.flush()

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:        # PR_SET_CHILD_SUBREAPER
        say("cannot become a child subreaper (errno %d)" % ctypes.get_errno())

    watched = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)     # bash starts `&` jobs with INT ignored
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    parent = os.getppid()

    pid = os.fork()
    if pid == 0:
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)
            os.setsid()                      # the test's Ctrl-C is the test's business
            if opts["--user"]:
                pw = pwd.getpwnam(opts["--user"])
                os.initgroups(pw.pw_name, pw.pw_gid)
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)
                os.environ.update(HOME=pw.pw_dir, USER=pw.pw_name, LOGNAME=pw.pw_name)
            os.execvp(cmd[0], cmd)
        except BaseException as e:
            sys.stderr.write("supervise[%s]: cannot run %s: %s\n" % (name, cmd[0], e))
        os._exit(127)

    status = [None]

    def reap():
        """Reap every exited child; False once there are no children at all."""
        while True:
            try:
                p, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if p == 0:
                return True
            if p == pid:
                status[0] = st

    def descendants():
        children = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(d))
        out, todo = [], [os.getpid()]
        while todo:
            for c in children.get(todo.pop(), []):
                out.append(c)
                todo.append(c)
        return out

    def signal_all(sig):
        for p in descendants():
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass

    def wait_until(deadline, done):
        while not done() and time.monotonic() < deadline:
            signal.sigtimedwait({signal.SIGCHLD}, 0.05)
            reap()

    why = None
    while why is None:
        info = signal.sigtimedwait(watched, 0.5)
        if info is None:
            if os.getppid() != parent:
                why = "the test shell went away"
        elif info.si_signo == signal.SIGCHLD:
            reap()
            if status[0] is not None:
                why = "%s exited (status %d)" % (cmd[0], os.waitstatus_to_exitcode(status[0]))
        else:
            why = "asked to stop (%s)" % signal.Signals(info.si_signo).name

    say("stopping: " + why)
    if status[0] is None:
        try:
            os.kill(pid, term_sig)
        except ProcessLookupError:
            pass
        wait_until(time.monotonic() + grace, lambda: status[0] is not None)
        if status[0] is None:
            say("%s ignored SIG%s for %gs" % (cmd[0], opts["--term-signal"], grace))
    left = descendants()
    if left:
        say("terminating leftover processes %s" % left)
        signal_all(signal.SIGTERM)
        wait_until(time.monotonic() + 2, lambda: not descendants())
    deadline = time.monotonic() + 5
    while reap() and time.monotonic() < deadline:
        signal_all(signal.SIGKILL)
        signal.sigtimedwait({signal.SIGCHLD}, 0.05)
    if status[0] is None:
        sys.exit(0)
    code = os.waitstatus_to_exitcode(status[0])
    # Stopping on request is success whatever the server's signal status.
    sys.exit(0 if why.startswith("asked") else (code if code >= 0 else 128 - code))

main()
PY

# ---------------------------------------------------------------------------
# Small helpers.

# free_port - print a TCP port on 127.0.0.1 that the kernel just handed out
# (a race with other processes is possible; start functions retry).
free_port() {
	"$UPKEEP_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

_servers_is_ci() {
	case "${CI:-}" in true | TRUE | True | 1 | yes) return 0 ;; esac
	return 1
}

# _fixture_fail MSG [LOG] - the test cannot go on: a `not ok`, the tail of
# LOG, and exit (the EXIT hook tears down).
_fixture_fail() {
	fail "$1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		diag "last lines of $2:" "$(tail -n 25 "$2" | sed 's/^/    | /')"
		_srv_log_shown[$2]=1
	fi
	exit 1
}

# _server_require SERVER PACKAGES PROG... - each PROG (a name on PATH or a
# path) must exist, else fail in CI / skip the test elsewhere.
_server_require() {
	local server=$1 packages=$2 prog missing=()
	shift 2
	for prog in "$@"; do
		if [[ $prog == */* ]]; then
			[ -x "$prog" ] || missing+=("$prog")
		else
			command -v "$prog" >/dev/null 2>&1 || missing+=("$prog")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local msg="$server fixture: ${missing[*]} not found - install the test servers with \`make deps\` (Debian packages: $packages)"
	if _servers_is_ci || [ -n "$_tap_planned" ] || [ "$_tap_count" -gt 0 ]; then
		_servers_is_ci || msg="$msg [cannot skip: tests had already started]"
		_fixture_fail "$msg"
	fi
	skip_all "$msg"
}

# _server_sock_ok SERVER PATH - unix socket paths are limited to 107 bytes.
_server_sock_ok() {
	if [ ${#2} -gt 107 ]; then
		_fixture_fail "$1 fixture: socket path $2 is longer than 107 bytes; set TMPDIR to a shorter directory"
	fi
}

# _server_spawn NAME LOG [SUPERVISOR_OPTION VALUE]... -- CMD... - start CMD
# under the supervisor, output to LOG.
_server_spawn() {
	local name=$1 log=$2
	shift 2
	"$UPKEEP_PYTHON" "$UPKEEP_TEST_TMP/supervise.py" --name "$name" "$@" \
		</dev/null >>"$log" 2>&1 {_tap_fd_out}>&- {_tap_fd_err}>&- &
	_srv_pid[$name]=$!
	_srv_log[$name]=$log
	_srv_order+=("$name")
}

# _server_poll NAME PROBE... - run PROBE every 50-200 ms until it succeeds
# (return 0), the server's supervisor exits (1) or the deadline passes (2).
_server_poll() {
	local name=$1 pid=${_srv_pid[$1]} interval=0.05 deadline
	shift
	deadline=$((SECONDS + UPKEEP_SERVER_TIMEOUT))
	while :; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$SECONDS" -lt "$deadline" ] || return 2
		sleep "$interval"
		[ "$interval" = 0.05 ] && interval=0.1 || interval=0.2
	done
}

# _server_wait NAME WHAT PROBE... - _server_poll, failing the test (with the
# log) if the server dies or does not WHAT in time.
_server_wait() {
	local name=$1 what=$2 rc
	shift 2
	_server_poll "$name" "$@" && rc=0 || rc=$?
	case $rc in
	0) return 0 ;;
	1) _fixture_fail "$name fixture: the server exited before it would $what" "${_srv_log[$name]}" ;;
	*) _fixture_fail "$name fixture: the server did not $what within ${UPKEEP_SERVER_TIMEOUT}s" "${_srv_log[$name]}" ;;
	esac
}

# _server_stop NAME - stop the supervisor (and so the whole tree) and wait
# for it; a no-op when NAME is not running.
_server_stop() {
	local name=$1 pid=${_srv_pid[$1]:-} i deadline
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	# The supervisor gives up on its server after ~17 s; allow a bit more.
	deadline=$((SECONDS + 25))
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		diag "$name fixture: supervisor $pid did not stop; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	unset "_srv_pid[$name]"
	for i in "${!_srv_order[@]}"; do
		[ "${_srv_order[i]}" = "$name" ] && unset "_srv_order[i]"
	done
	_srv_order=("${_srv_order[@]}")
	return 0
}

# procs_mentioning STRING - print "PID COMMAND LINE" for every process
# (other than this shell) whose command line contains STRING; tests use it
# with a path in $UPKEEP_TEST_TMP to prove nothing of theirs is left.
procs_mentioning() {
	local p args=()
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] && continue
		[ "$p" = "$BASHPID" ] && continue
		# Builtins only: a fork per process would make this slow.
		mapfile -d '' -t args 2>/dev/null <"/proc/$p/cmdline" || continue
		[[ "${args[*]}" == *"$1"* ]] && printf '%s %s\n' "$p" "${args[*]}"
	done
	return 0
}

# _kill_strays PATH - kill processes outside any supervisor whose command
# line mentions PATH (e.g. conmon of a container started with the podman CLI
# rather than through the service), by pid.
_kill_strays() {
	local line pids=()
	while read -r line; do
		diag "killing stray process ${line:0:200}"
		pids+=("${line%% *}")
	done < <(procs_mentioning "$1")
	[ ${#pids[@]} -eq 0 ] && return 0
	kill -TERM "${pids[@]}" 2>/dev/null
	sleep 0.5
	kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}

# servers_teardown - stop every server (newest first), unmount anything left
# mounted in the temp dir, remove it.  Safe to call more than once.
servers_teardown() {
	local i name mnt
	for ((i = ${#_srv_order[@]} - 1; i >= 0; i--)); do
		name=${_srv_order[i]}
		"${_srv_stop[$name]:-_server_stop}" "$name"
	done
	[ -d "$UPKEEP_TEST_TMP" ] || return 0
	if [ "$_tap_failed" -gt 0 ]; then
		for name in "${!_srv_log[@]}"; do
			[ -s "${_srv_log[$name]}" ] || continue
			[ -n "${_srv_log_shown[${_srv_log[$name]}]:-}" ] && continue
			diag "last lines of the $name log (${_srv_log[$name]}):" \
				"$(tail -n 10 "${_srv_log[$name]}" | sed 's/^/    | /')"
		done
	fi
	# Podman can leave a container's /dev/shm mounted in its store.
	while read -r mnt; do
		umount -l "$mnt" 2>/dev/null || diag "cannot unmount $mnt"
	done < <(awk -v t="$UPKEEP_TEST_TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	if [ -n "${UPKEEP_KEEP_TMP:-}" ]; then
		diag "UPKEEP_KEEP_TMP: kept $UPKEEP_TEST_TMP"
	else
		rm -rf "$UPKEEP_TEST_TMP" || diag "cannot remove $UPKEEP_TEST_TMP"
	fi
	return 0
}
tap_at_exit servers_teardown

# ---------------------------------------------------------------------------
# PostgreSQL 15.

_pg_as=()   # prefix that runs a command as the cluster owner

# shellcheck disable=SC2120 # the CONF_LINE arguments are optional
pg_start() {
	if [ -n "${_srv_pid[postgres]:-}" ]; then
		return 0
	fi
	local bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
	local dir=$UPKEEP_TEST_TMP/pg line port
	_server_require postgres "postgresql-15 python3" "$UPKEEP_PYTHON" \
		"$bindir/initdb" "$bindir/postgres" "$bindir/pg_ctl" "$bindir/pg_isready" "$bindir/psql"
	port=$(free_port) || _fixture_fail "postgres fixture: cannot find a free port"
	_server_sock_ok postgres "$dir/.s.PGSQL.$port"
	mkdir -p "$dir"
	chmod 0755 "$dir"
	local user=()
	_pg_as=()
	if [ "$(id -u)" -eq 0 ]; then
		# initdb and postgres refuse to run as root.
		_server_require postgres "postgresql-15 util-linux" runuser
		id postgres >/dev/null 2>&1 ||
			_fixture_fail "postgres fixture: running as root but there is no 'postgres' user (it comes with postgresql-15)"
		chown postgres: "$dir"
		_pg_as=(runuser -u postgres --)
		user=(--user postgres)
		"${_pg_as[@]}" test -w "$dir" ||
			_fixture_fail "postgres fixture: user 'postgres' cannot write $dir; is ${TMPDIR:-/tmp} traversable by others?"
	fi
	PG_DATA=$dir/data
	"${_pg_as[@]}" "$bindir/initdb" -D "$PG_DATA" -U postgres --auth=trust \
		--no-locale --encoding=UTF8 --no-sync --no-instructions >"$dir/initdb.log" 2>&1 ||
		_fixture_fail "postgres fixture: initdb failed" "$dir/initdb.log"
	# Throwaway speed, no TCP, deterministic for vacuum tests (no autovacuum).
	{
		printf '%s\n' "" "# upkeep test fixture" \
			"listen_addresses = ''" \
			"unix_socket_directories = '$dir'" \
			"port = $port" \
			"fsync = off" \
			"synchronous_commit = off" \
			"full_page_writes = off" \
			"wal_level = minimal" \
			"max_wal_senders = 0" \
			"autovacuum = off" \
			"shared_buffers = 16MB" \
			"max_connections = 20" \
			"log_min_messages = warning"
		for line in "$@"; do printf '%s\n' "$line"; done
	} >>"$PG_DATA/postgresql.conf"
	_server_spawn postgres "$dir/postgres.log" "${user[@]}" --term-signal INT -- \
		"$bindir/postgres" -D "$PG_DATA"
	_srv_stop[postgres]=pg_stop
	export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	export PG_BINDIR=$bindir PG_DATA
	unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS PGPASSWORD PGSSLMODE
	case ":$PATH:" in *":$bindir:"*) ;; *) PATH=$bindir:$PATH ;; esac
	_server_wait postgres "accept connections on $dir/.s.PGSQL.$port" "$bindir/pg_isready" -q
	return 0
}

pg_stop() {
	[ -n "${_srv_pid[postgres]:-}" ] || return 0
	if kill -0 "${_srv_pid[postgres]}" 2>/dev/null; then
		"${_pg_as[@]}" "$PG_BINDIR/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 20 \
			>>"${_srv_log[postgres]}" 2>&1 ||
			diag "postgres fixture: pg_ctl stop failed; the supervisor will kill it"
	fi
	_server_stop postgres
}

# ---------------------------------------------------------------------------
# Podman's Docker-compatible API service.

PODMAN=()
_podman_real=""   # the podman binary itself (PATH gets a wrapper first)

podman_cli() {
	"${PODMAN[@]}" "$@"
}

_podman_ping() {
	[ "$(curl -s --max-time 2 --unix-socket "$PODMAN_SOCK" http://d/_ping)" = OK ]
}

podman_start() {
	if [ -n "${_srv_pid[podman]:-}" ]; then
		return 0
	fi
	local dir=$UPKEEP_TEST_TMP/podman
	_server_require podman "podman curl python3" podman curl "$UPKEEP_PYTHON"
	_server_sock_ok podman "$dir/podman.sock"
	# Podman refuses a runroot over 50 bytes (its attach sockets live
	# there): a short name, and a clear word when TMPDIR is too long.
	if [ ${#dir} -gt 47 ]; then
		_fixture_fail "podman fixture: runroot $dir/rr is longer than 50 bytes (podman's limit); set TMPDIR to a shorter directory"
	fi
	mkdir -p "$dir/root" "$dir/rr" "$dir/tmp" "$dir/networks"
	# Nothing of the host's podman configuration or state is read or
	# written: file locks in our tmp dir instead of the host-wide SHM lock
	# segment, events in a file, our own network config dir, no systemd.
	# Containers really run (tests/lib/containers.sh): runc, as crun
	# cannot set the rlimits here; cgroupfs, as systemd's hybrid cgroups
	# are refused; ulimits at or below the VM's; the host's network (no
	# CNI, no slirp: bridge networks are not tested).
	cat >"$dir/containers.conf" <<-EOF
		# upkeep test fixture: isolated podman
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]
		netns = "host"
		[engine]
		runtime = "runc"
		lock_type = "file"
		tmp_dir = "$dir/tmp"
		static_dir = "$dir/root/libpod"
		volume_path = "$dir/root/volumes"
		image_copy_tmp_dir = "$dir/tmp"
		events_logger = "file"
		events_logfile_path = "$dir/events.log"
		cgroup_manager = "cgroupfs"
		[network]
		network_config_dir = "$dir/networks"
	EOF
	cat >"$dir/storage.conf" <<-EOF
		# upkeep test fixture: isolated podman
		[storage]
		driver = "vfs"
		graphroot = "$dir/root"
		runroot = "$dir/rr"
	EOF
	# No short-name search (nothing may reach the internet); registries on
	# 127.0.0.1 (the registry fixture) are plain HTTP.  The prefix also
	# matches 127.0.0.1:PORT in containers/image 5.23.
	cat >"$dir/registries.conf" <<-EOF
		# upkeep test fixture: isolated podman
		unqualified-search-registries = []
		short-name-mode = "disabled"
		[[registry]]
		location = "127.0.0.1"
		insecure = true
	EOF
	export CONTAINERS_CONF=$dir/containers.conf
	export CONTAINERS_STORAGE_CONF=$dir/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$dir/registries.conf
	# containers/image keeps a blob-info cache in /var/lib/containers/cache
	# when run as root, and podman 4.3 has no setting to move it.  So podman
	# runs in a private mount namespace in which a directory of ours is
	# bind-mounted over /var/lib/containers: the wrapper $dir/bin/podman
	# does that, and goes first on PATH so that a bare `podman` gets it too.
	# Where mount namespaces are not allowed (an unprivileged container),
	# the wrapper runs podman as it is and that one cache file is shared.
	[ -n "$_podman_real" ] || _podman_real=$(command -v podman)
	mkdir -p "$dir/bin" "$dir/varlib"
	{
		echo '#!/bin/sh'
		echo '# podman for one upkeep integration test (written by tests/lib/servers.sh).'
		# Big temporary files go to $TMPDIR, else /var/tmp.
		printf 'TMPDIR=%q; export TMPDIR\n' "$dir/tmp"
		if [ "$(id -u)" -eq 0 ] && mkdir -p /var/lib/containers 2>/dev/null &&
			unshare --mount --propagation private -- \
				mount --bind "$dir/varlib" /var/lib/containers 2>/dev/null; then
			echo '# In a private mount namespace, /var/lib/containers is the test'"'"'s own.'
			# shellcheck disable=SC2016 # $0 and $@ are for the wrapper
			printf '%s %q %q "$@"\n' \
				"exec unshare --mount --propagation private -- /bin/sh -c 'mount --bind \"\$0\" /var/lib/containers && exec \"\$@\"'" \
				"$dir/varlib" "$_podman_real"
		else
			[ "$(id -u)" -eq 0 ] &&
				diag "podman fixture: no private mount namespace here; /var/lib/containers/cache is shared with the host"
			printf 'exec %q "$@"\n' "$_podman_real"
		fi
	} >"$dir/bin/podman"
	chmod +x "$dir/bin/podman"
	case ":$PATH:" in *":$dir/bin:"*) ;; *) PATH=$dir/bin:$PATH ;; esac
	PODMAN=("$dir/bin/podman" --root "$dir/root" --runroot "$dir/rr" --storage-driver vfs
		--tmpdir "$dir/tmp" --cgroup-manager cgroupfs --events-backend file)
	_server_spawn podman "$dir/service.log" -- \
		"${PODMAN[@]}" system service --time=0 "unix://$dir/podman.sock"
	_srv_stop[podman]=podman_stop
	export PODMAN_SOCK=$dir/podman.sock
	export DOCKER_HOST=unix://$PODMAN_SOCK
	_server_wait podman "answer GET /_ping on $PODMAN_SOCK" _podman_ping
	return 0
}

podman_stop() {
	[ -n "${_srv_pid[podman]:-}" ] || return 0
	local dir=$UPKEEP_TEST_TMP/podman id ids=()
	for id in "$dir"/root/vfs-containers/*/; do
		id=${id%/}
		id=${id##*/}
		[[ $id =~ ^[0-9a-f]{64}$ ]] && ids+=("$id")
	done
	# Stopped by the runtime first, so that containers go as they should
	# (runc kills them, deletes their cgroups, conmon exits).
	if [ ${#ids[@]} -gt 0 ]; then
		timeout 60 "${PODMAN[@]}" rm --all --force --time 0 >>"${_srv_log[podman]}" 2>&1 ||
			diag "podman fixture: \`podman rm --all --force\` failed; killing what is left"
	fi
	_server_stop podman
	_kill_strays "$dir/"
	_podman_kill_containers "${ids[@]}"
	return 0
}

# _podman_kill_containers ID... - SIGKILL every process still in the cgroup
# of one of these containers (a container's init is PID 1 of its own PID
# namespace: it ignores SIGTERM, and outlives a killed conmon), then remove
# the cgroups left behind, so that nothing of the test stays on the host.
_podman_kill_containers() {
	[ $# -gt 0 ] || return 0
	local p id cg line pids=()
	for p in /proc/[0-9]*; do
		read -r -d '' line 2>/dev/null <"$p/cgroup"
		for id in "$@"; do
			if [[ $line == *"libpod-$id"* ]]; then
				pids+=("${p#/proc/}")
				diag "killing container process ${p#/proc/} of ${id:0:12}"
				break
			fi
		done
	done
	if [ ${#pids[@]} -gt 0 ]; then
		kill -KILL "${pids[@]}" 2>/dev/null
		sleep 0.2
	fi
	for id in "$@"; do
		for cg in /sys/fs/cgroup/*/libpod_parent/libpod-"$id" /sys/fs/cgroup/libpod_parent/libpod-"$id"; do
			[ -d "$cg" ] && { rmdir "$cg" 2>/dev/null || diag "cannot remove cgroup $cg"; }
		done
	done
	return 0
}

# ---------------------------------------------------------------------------
# The OCI registry (docker-registry, CNCF distribution 2.8).

_registry_ping() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$REGISTRY/v2/")" = 200 ]
}

registry_start() {
	if [ -n "${_srv_pid[registry]:-}" ]; then
		return 0
	fi
	local dir=$UPKEEP_TEST_TMP/registry attempt port rc
	_server_require registry "docker-registry curl python3" docker-registry curl "$UPKEEP_PYTHON"
	mkdir -p "$dir/data"
	# free_port can race with another test: retry when the port was taken.
	for attempt in 1 2 3; do
		port=$(free_port) || _fixture_fail "registry fixture: cannot find a free port"
		cat >"$dir/config.yml" <<-EOF
			# upkeep test fixture: throwaway registry, no auth, loopback only
			version: 0.1
			log:
			  level: info
			  fields:
			    service: registry
			storage:
			  filesystem:
			    rootdirectory: $dir/data
			  delete:
			    enabled: true
			  maintenance:
			    uploadpurging:
			      enabled: false
			http:
			  addr: 127.0.0.1:$port
			  secret: upkeep-test-fixture
			  headers:
			    X-Content-Type-Options: [nosniff]
		EOF
		_server_spawn registry "$dir/registry.log" -- docker-registry serve "$dir/config.yml"
		_srv_stop[registry]=registry_stop
		export REGISTRY=127.0.0.1:$port
		_server_poll registry _registry_ping && rc=0 || rc=$?
		[ "$rc" -eq 0 ] && return 0
		if [ "$rc" -eq 1 ] && [ "$attempt" -lt 3 ] &&
			grep -q 'address already in use' "$dir/registry.log"; then
			_server_stop registry
			continue
		fi
		break
	done
	if [ "$rc" -eq 1 ]; then
		_fixture_fail "registry fixture: the server exited before it would answer GET http://$REGISTRY/v2/" "$dir/registry.log"
	fi
	_fixture_fail "registry fixture: the server did not answer GET http://$REGISTRY/v2/ within ${UPKEEP_SERVER_TIMEOUT}s" "$dir/registry.log"
}

registry_stop() {
	_server_stop registry
}

# ---------------------------------------------------------------------------
# The HTTP fixture (tests/lib/http_fixture.py).

_http_ping() {
	local port
	[ -s "$UPKEEP_TEST_TMP/http/port" ] || return 1
	port=$(cat "$UPKEEP_TEST_TMP/http/port")
	curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$port/_fixture/ping"
}

http_start() {
	if [ -n "${_srv_pid[http]:-}" ]; then
		return 0
	fi
	local dir=$UPKEEP_TEST_TMP/http
	_server_require http "python3 curl" "$UPKEEP_PYTHON" curl
	mkdir -p "$dir"
	# The fixture binds port 0 itself and writes the port it got: no race.
	_server_spawn http "$dir/server.log" -- "$UPKEEP_PYTHON" "$UPKEEP_TEST_LIB/http_fixture.py" \
		--bind 127.0.0.1 --port-file "$dir/port" --log "$dir/access.log"
	_srv_stop[http]=http_stop
	_server_wait http "answer GET /_fixture/ping" _http_ping
	HTTP_FIXTURE=http://127.0.0.1:$(cat "$dir/port")
	export HTTP_FIXTURE
	return 0
}

http_stop() {
	_server_stop http
}

# http_route JSON - POST a full route spec (see http_fixture.py).
http_route() {
	printf '%s' "$1" | curl -fsS --max-time 10 -H 'Content-Type: application/json' \
		--data-binary @- "$HTTP_FIXTURE/_fixture/route" >/dev/null
}

# http_set PATH STATUS [BODY] [DELAY_SECONDS]
http_set() {
	local json
	json=$("$UPKEEP_PYTHON" -c 'import json, sys
a = sys.argv[1:]
print(json.dumps({"path": a[0], "status": int(a[1]), "body": a[2], "delay": float(a[3])}))' \
		"$1" "$2" "${3-}" "${4:-0}") || return 1
	http_route "$json"
}

http_requests() {
	curl -fsS --max-time 10 "$HTTP_FIXTURE/_fixture/requests"
}

http_reset() {
	curl -fsS --max-time 10 -X POST "$HTTP_FIXTURE/_fixture/reset" >/dev/null
}

# Running containers on the Podman fixture (images, a containerised
# PostgreSQL, docker-compose): see the header above and containers.sh.
# shellcheck source=./containers.sh
. "$UPKEEP_TEST_LIB/containers.sh"
