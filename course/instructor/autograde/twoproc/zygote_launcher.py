"""Stand-in for a grader kernel's process: asks the zygote for a kernel and lives as long as it.

`python -I -S zygote_launcher.py CONTROL_SOCKET SETTINGS AUDIT_FD -- KERNEL_ARGS`, started by
jupyter_client on the host in place of a kernel (the standard library only: it starts in
milliseconds). It hands the zygote its stdout, stderr (the kernel's log) and the audit pipe's
write end, then waits for the kernel to exit and exits with its status, so that jupyter_client's
"is the kernel alive" holds. Killing it kills the kernel (the zygote watches the connection).
"""
import json
import socket
import sys


def main() -> int:
    control, settings, audit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = sys.argv[sys.argv.index("--") + 1:]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(control)
    socket.send_fds(conn, [json.dumps({"settings": settings, "args": args}).encode()], [1, 2, audit])
    buffer = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            return 1  # the zygote is gone, and with it the kernel
        buffer += chunk
        for line in buffer.split(b"\n")[:-1]:
            message = json.loads(line)
            if "exit" in message:
                return int(message["exit"]) & 0xFF
        buffer = buffer[buffer.rfind(b"\n") + 1:]


if __name__ == "__main__":
    sys.exit(main())
