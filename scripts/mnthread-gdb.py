# mnthread-gdb.py: gdb commands for programs running under mnthread.
#
# Under mnthread a program's threads (Gs) are not the OS threads gdb shows
# (Ms): `info threads` lists the Ms, and a thread parked in a mutex, a
# condition, a sleep or a join has no OS thread at all, only a saved
# context on its own stack.  This script adds:
#
#   info mnthreads [-a]   every G: id, kernel-visible id (gettid), name,
#                         status, wait reason, its M when it runs, and the
#                         frame it waits in (the first frame outside
#                         libmnthread.so).  -a: also free Gs and M0's
#                         scheduler G.
#   mnthread N [CMD]      run CMD (default: bt) with G N's saved registers
#                         as the registers of frame 0: `mnthread 5 bt`,
#                         `mnthread 5 bt full`, `mnthread 5 info frame`.
#
# How `mnthread N` reaches a parked G's stack.  A G suspended by
# mn_arch_switch (sched/arch/x86_64/switch.S) keeps only its stack pointer
# in g->ctx.sp; the frame there holds, from sp up, mxcsr and the x87
# control word, r15, r14, r13, r12, rbx, rbp and the return address.  On a
# live process the command writes those (and rsp = sp + 64, rip = the return
# address) into the selected OS thread's registers, runs CMD, and writes the
# old values back, orig_rax included (gdb's write of the pc sets it to -1,
# which would stop the kernel from restarting an interrupted system call).
# CMD must not resume the program (the commands that obviously do are
# refused).  A core file's registers cannot be written, so there a Python
# unwinder gives the selected thread's innermost real frame the G's
# registers as its caller's, and CMD (bt only) is shown from the G's first
# frame on, renumbered.  The live path is tried first; when gdb refuses the
# write, the unwinder is used.
#
# The struct layouts come from libmnthread.so's debug info (the default
# build keeps -g); without it the commands say so in one line.
#
# Loaded automatically from the installed `<datadir>/gdb/auto-load/<libdir>/
# libmnthread.so-gdb.py` (README: "Debugging with gdb"), or by hand with
# `source <datadir>/mnthread/mnthread-gdb.py`.

import re
import struct
import time

import gdb

try:
    import gdb.unwinder
    _HAVE_UNWINDER = True
except ImportError:
    _HAVE_UNWINDER = False

# The G states, in the order of the enum in sched/runtime.h; the names are
# read from the debug info when it has them (see _status_names).
_G_STATES = ["idle", "runnable", "running", "syscall", "waiting", "dead"]
G_MAIN, G_G0 = 1, 2

# The switch frame (switch.S): eight words from the saved sp.
_SWITCH_REGS = ["mxcsr", "r15", "r14", "r13", "r12", "rbx", "rbp", "rip"]
_SWITCH_FRAME = 64

# Optional fields another change may add to struct g: used when present.
_SINCE_FIELDS = ("waitsince", "since", "waitstart", "parkedat")
_FD_FIELDS = ("waitfd", "netfd", "netpollfd", "pollfd")


class MnError(Exception):
    """A one-line message for the user."""


def _lib_objfile():
    for objfile in gdb.objfiles():
        if objfile.filename and "libmnthread" in objfile.filename.rsplit("/", 1)[-1]:
            return objfile
    return None


def _lookup(objfile, name):
    """The library's own global or file-static symbol NAME (another object
    may have one of the same name)."""
    try:
        sym = objfile.lookup_global_symbol(name) or objfile.lookup_static_symbol(name)
    except AttributeError:  # before gdb 10
        sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    return sym


def _symbol_value(objfile, name):
    sym = _lookup(objfile, name)
    return None if sym is None else sym.value()


def _runtime():
    """(mn_sched, allg) of the inferior, or MnError."""
    if not gdb.selected_inferior().pid and not gdb.selected_inferior().threads():
        raise MnError("mnthread: no process or core file")
    lib = _lib_objfile()
    if lib is None:
        raise MnError("mnthread: libmnthread.so is not loaded in this process")
    sched = _symbol_value(lib, "mn_sched")
    allg = _symbol_value(lib, "allg")
    if sched is None or allg is None:
        raise MnError("mnthread: %s has no debug info (struct g unknown); "
                      "build it with -g (the default CFLAGS)" % lib.filename)
    return sched, allg


def _read_words(addr, n):
    mem = gdb.selected_inferior().read_memory(addr, 8 * n)
    return struct.unpack("<%dQ" % n, bytes(mem))


def _field(val, name):
    try:
        return val[name]
    except gdb.error:
        return None


def _cstring(val):
    """A char array or char pointer as a Python string ('' when NULL)."""
    try:
        if val.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            addr, size = int(val), 64
        else:
            addr, size = int(val.address), val.type.sizeof
        if addr == 0:
            return ""
        inf = gdb.selected_inferior()
        while size > 0:
            try:
                raw = bytes(inf.read_memory(addr, size))
                break
            except gdb.MemoryError:
                size //= 2  # a short string at the end of a mapping
        else:
            return "?"
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    except gdb.error:
        return "?"


def _status_names():
    """Value -> name of the G states: the enum's values from the debug
    info, the order of runtime.h where it has none."""
    lib = _lib_objfile()
    names = {}
    for i, short in enumerate(_G_STATES):
        value = i
        sym = _lookup(lib, "G_" + short.upper()) if lib else None
        if sym is not None:
            try:
                value = int(sym.value())
            except gdb.error:
                pass
        names[value] = short
    return names


def _states():
    """Name -> value of the G states."""
    return {v: k for k, v in _status_names().items()}


def _allgs(sched, allg, everything, broken=None):
    """main's G, then every G on allgs (gfree.c); free Gs and M0's
    scheduler G only with everything.  A G whose allprev does not point
    back or with no TCB (memory missing from a core file reads as zeros)
    ends the walk; its address goes into broken."""
    out = []
    idle = _states()["idle"]
    maing = sched["maing"]
    if int(maing):
        out.append(maing.dereference())
    gp = allg["head"]
    prev = 0
    seen = set()
    while int(gp) and int(gp) not in seen and len(seen) < 1000000:
        seen.add(int(gp))
        try:
            g = gp.dereference()
            # Every G on the list has a TCB (galloc; gfget keeps it).
            ok = int(g["allprev"]) == prev and int(g["tcb"]) != 0
        except gdb.MemoryError:
            ok = False
        if not ok:
            if broken is not None:
                broken.append(int(gp))
            break
        if everything or (int(g["status"]) != idle and not int(g["flags"]) & G_G0):
            out.append(g)
        prev = int(gp)
        gp = g["allnext"]
    return out


def _all_ms(sched):
    ms = []
    mp = sched["allm"]
    seen = set()
    while int(mp) and int(mp) not in seen:
        seen.add(int(mp))
        ms.append(mp.dereference())
        mp = mp["alllink"]
    return ms


def _gdb_thread_of(tid):
    for th in gdb.selected_inferior().threads():
        if th.ptid[1] == tid:
            return th
    return None


def _m_desc(m):
    tid = int(m["tid"])
    th = _gdb_thread_of(tid)
    where = "M%d LWP %d" % (int(m["id"]), tid)
    if th is not None:
        where += ", gdb thread %d" % th.num
    return where


def _lib_name():
    lib = _lib_objfile()
    return lib.filename if lib else None


def _in_runtime(pc, libname):
    try:
        return gdb.solib_name(pc) == libname
    except gdb.error:
        return False


def _describe_pc(pc):
    """'func at file:line' (or 'func' / '0x...') for a return address."""
    look = pc - 1  # a return address: the call is in the byte before it
    name = None
    try:
        block = gdb.block_for_pc(look)
        while block is not None and block.function is None:
            block = block.superblock
        if block is not None:
            name = block.function.print_name
    except (RuntimeError, gdb.error):
        pass
    if name is None:
        try:
            text = gdb.execute("info symbol %#x" % look, to_string=True)
            if not text.startswith("No symbol"):
                name = text.split(" in section", 1)[0].strip()
                name = re.sub(r" \+ \d+$", "", name)
        except gdb.error:
            pass
    if name is None:
        return "%#x" % pc
    sal = gdb.find_pc_line(look)
    if sal.symtab is not None and sal.line:
        return "%s at %s:%d" % (name, sal.symtab.filename.rsplit("/", 1)[-1], sal.line)
    return name


def _saved_regs(g):
    """The registers of a suspended G, from its switch frame."""
    sp = int(g["ctx"]["sp"])
    if sp == 0:
        raise MnError("mnthread: G %d has no saved context" % int(g["goid"]))
    words = _read_words(sp, 8)
    regs = dict(zip(_SWITCH_REGS, words))
    regs["rsp"] = sp + _SWITCH_FRAME
    del regs["mxcsr"]
    return regs


def _waiting_pc(g, libname):
    """The first return address outside libmnthread.so on a suspended G's
    stack, by the frame-pointer chain (the library keeps frame pointers:
    -fno-omit-frame-pointer), or the saved pc when the chain leaves the
    stack before it."""
    regs = _saved_regs(g)
    pc, fp = regs["rip"], regs["rbp"]
    lo = regs["rsp"]
    for _ in range(64):
        if not _in_runtime(pc, libname):
            return pc
        if fp < lo or fp & 7:
            break
        try:
            nfp, ret = _read_words(fp, 2)
        except gdb.MemoryError:
            break
        if ret == 0:
            break
        lo, pc, fp = fp + 16, ret, nfp
    return regs["rip"]


def _age(ns):
    try:
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    except AttributeError:
        return None
    return (now - ns) / 1e9


def _optional(g, names):
    for name in names:
        v = _field(g, name)
        if v is not None:
            return name, v
    return None, None


class InfoMnthreads(gdb.Command):
    """List mnthread's threads (Gs): info mnthreads [-a]

For each G: Id (goid; `mnthread ID bt` takes it), Tid (its gettid; main's is
the pid), Name, Status, Wait (the reason it is parked, for a waiting G), M
(the OS thread running it: M id, LWP and gdb thread number, for a running G
or one in a system call) and Frame (where a suspended G waits: the first
frame outside libmnthread.so).  -a also lists free Gs and M0's scheduler G."""

    def __init__(self):
        super().__init__("info mnthreads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        everything = arg.strip() in ("-a", "all")
        try:
            self.show(everything)
        except MnError as e:
            print(str(e))
        except (gdb.error, gdb.MemoryError) as e:
            print("mnthread: %s" % e)

    def show(self, everything):
        sched, allg = _runtime()
        names = _status_names()
        S = _states()
        libname = _lib_name()
        live = _is_live()
        ms = _all_ms(sched)
        m0 = [m for m in ms if int(m["id"]) == 0]
        rows = []
        broken = []
        for g in _allgs(sched, allg, everything, broken):
            st = int(g["status"])
            flags = int(g["flags"])
            tid = int(g["fake_tid"])
            if flags & G_MAIN and tid == 0:
                tid = int(m0[0]["tid"]) if m0 else gdb.selected_inferior().pid
            name = _cstring(g["name"]) or ("main" if flags & G_MAIN else "")
            wait = ""
            if st == S["waiting"]:
                wait = _cstring(g["waitreason"])
                fname, fd = _optional(g, _FD_FIELDS)
                if fd is not None and int(fd) >= 0 and wait.startswith("netpoll"):
                    wait += " fd %d" % int(fd)
                sname, since = _optional(g, _SINCE_FIELDS)
                if since is not None and int(since) > 0:
                    age = _age(int(since)) if live else None
                    if age is not None and age >= 0:
                        wait += " (%.1fs)" % age
                    else:
                        wait += " (since %d)" % int(since)
            mdesc = ""
            frame = ""
            if st in (S["running"], S["syscall"]) and int(g["m"]):
                m = g["m"].dereference()
                mdesc = "M%d" % int(m["id"])
                frame = "on " + _m_desc(m)
            elif st not in (S["idle"], S["dead"]):
                try:
                    frame = _describe_pc(_waiting_pc(g, libname))
                except (MnError, gdb.error, gdb.MemoryError):
                    frame = "?"
            if int(g["lockedm"]):
                mdesc += ("" if not mdesc else " ") + "(locked M%d)" % int(g["lockedm"]["id"])
            rows.append(("%d" % int(g["goid"]), "%d" % tid, name or "-",
                         names.get(st, "status %d" % st), wait or "-", mdesc or "-", frame))
        header = ("Id", "Tid", "Name", "Status", "Wait", "M", "Frame")
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(6)]
        for r in [header] + rows:
            print("  ".join(r[i].ljust(widths[i]) if i < 6 else r[i]
                            for i in range(7)).rstrip())
        if broken:
            print("mnthread: the G at %#x cannot be read (not in this core file?); "
                  "the Gs after it on the list are not shown.  gdb's gcore leaves out "
                  "stacks with MADV_GUARD_INSTALL guard pages; a core dumped by the "
                  "kernel has them." % broken[0])


def _is_live():
    """True on a live process (its registers can be written), False on a
    core file."""
    inf = gdb.selected_inferior()
    conn = getattr(inf, "connection", None)
    if conn is not None:
        return conn.type != "core"
    return bool(inf.pid)


class _FrameId:
    """A frame id for create_unwind_info (gdb 14 has gdb.unwinder.FrameId)."""

    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class _GUnwinder(gdb.unwinder.Unwinder if _HAVE_UNWINDER else object):
    """Gives frame 0's caller a suspended G's registers (core files)."""

    def __init__(self):
        super().__init__("mnthread-g")
        self.regs = None
        self.at = None

    def __call__(self, pending):
        # Claim the innermost real frame (frame 0, or the frame that frame
        # 0 and its inlined callees share): the one with the thread's pc and sp.
        if self.regs is None:
            return None
        sp = pending.read_register("rsp")
        pc = pending.read_register("rip")
        if (int(pc), int(sp)) != self.at:
            return None
        # Its id: a stack address below any G's, so that gdb takes the next
        # frame (on the G's stack) for an outer one.
        info = pending.create_unwind_info(_FrameId(gdb.Value(16).cast(sp.type), pc))
        for reg, v in self.regs.items():
            typ = pending.read_register(reg).type
            info.add_saved_register(reg, gdb.Value(v).cast(typ))
        return info


_unwinder = None


def _with_unwinder(regs, cmd):
    global _unwinder
    if not _HAVE_UNWINDER:
        raise MnError("mnthread: this gdb has no Python unwinder API and cannot write registers here")
    if _unwinder is None:
        _unwinder = _GUnwinder()
        gdb.unwinder.register_unwinder(None, _unwinder, replace=True)
    sel = gdb.selected_frame()
    top = gdb.newest_frame()
    at = (int(top.read_register("rip")), int(top.read_register("rsp")))
    # The frames to leave out: frame 0 and the real frame it is inlined in.
    skip = 1
    f = top
    while f is not None and f.type() == gdb.INLINE_FRAME:
        skip += 1
        f = f.older()
    _unwinder.at = at
    _unwinder.regs = regs
    del top, f
    gdb.execute("maintenance flush register-cache", to_string=True)
    try:
        text = gdb.execute(cmd, to_string=True)
    finally:
        _unwinder.regs = None
        gdb.invalidate_cached_frames()
        try:
            sel.select()
        except gdb.error:
            pass
    # Leave out the OS thread's own frames and renumber from #0.
    out = []
    started = False
    for line in text.splitlines():
        m = re.match(r"#(\d+)(\s+)(.*)", line)
        if m:
            n = int(m.group(1))
            started = n >= skip
            if started:
                num = "#%d" % (n - skip)
                pad = len(m.group(1)) + 1 + len(m.group(2)) - len(num)
                line = num + " " * max(1, pad) + m.group(3)
        if started:
            out.append(line)
    print("\n".join(out))


_LIVE_REGS = ["rip", "rsp", "rbp", "rbx", "r12", "r13", "r14", "r15"]


def _set_reg0(reg, value):
    """Write a register of frame 0.  (In an outer frame gdb would write the
    register's save slot on the stack: CMD may have selected one.)"""
    gdb.newest_frame().select()
    gdb.execute("set $%s = %d" % (reg, value), to_string=True)


# Commands that would run the program with the borrowed registers.
_RESUMING = {"c", "cont", "continue", "s", "step", "n", "next", "si", "stepi", "ni",
             "nexti", "finish", "fin", "until", "u", "advance", "jump", "j", "return",
             "run", "r", "start", "starti", "kill", "detach", "signal", "queue-signal",
             "call", "reverse-continue", "rc", "record", "thread", "t"}


def _with_registers(regs, cmd):
    """Run cmd with regs in the selected thread's frame 0; False when gdb
    cannot write registers here (a core file)."""
    frame = gdb.selected_frame()
    level = frame.level()
    gdb.newest_frame().select()
    saved = {}
    for reg in _LIVE_REGS + ["orig_rax"]:
        try:
            saved[reg] = int(gdb.parse_and_eval("$" + reg).cast(gdb.lookup_type("long")))
        except gdb.error:
            pass
    try:
        _set_reg0("rip", regs["rip"])
    except gdb.error:
        return False
    try:
        for reg in _LIVE_REGS[1:]:
            _set_reg0(reg, regs[reg])
        gdb.execute(cmd)
    finally:
        # rip first: gdb's write of the pc sets orig_rax to -1, put back last.
        for reg in _LIVE_REGS + ["orig_rax"]:
            if reg in saved:
                _set_reg0(reg, saved[reg])
        try:
            gdb.execute("frame %d" % level, to_string=True)
        except gdb.error:
            pass
    return True


def _find_g(goid):
    sched, allg = _runtime()
    for g in _allgs(sched, allg, True):
        if int(g["goid"]) == goid:
            return g
    return None


class Mnthread(gdb.Command):
    """Run a command on one mnthread G: mnthread ID [CMD]   (default CMD: bt)

ID is the Id column of `info mnthreads`.  For a suspended G, CMD runs with
the G's saved registers as frame 0's (live process: written into the
selected OS thread and put back after; core file: through an unwinder, bt
only, shown from the G's first frame).  A G that is running names the OS
thread that runs it: `thread N` there."""

    def __init__(self):
        super().__init__("mnthread", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        words = arg.split(None, 1)
        if not words or not words[0].isdigit():
            print("usage: mnthread ID [CMD]   (ID from `info mnthreads`; CMD defaults to bt)")
            return
        cmd = words[1] if len(words) > 1 else "bt"
        if cmd.split()[0] in _RESUMING:
            print("mnthread: `%s` would run the program or leave the thread with the "
                  "G's registers; only inspecting commands" % cmd.split()[0])
            return
        try:
            self.run(int(words[0]), cmd)
        except MnError as e:
            print(str(e))
        except (gdb.error, gdb.MemoryError) as e:
            print("mnthread: %s" % e)

    def run(self, goid, cmd):
        g = _find_g(goid)
        if g is None:
            raise MnError("mnthread: no G with id %d (see info mnthreads)" % goid)
        st = int(g["status"])
        S = _states()
        if st in (S["running"], S["syscall"]):
            if int(g["m"]):
                raise MnError("mnthread: G %d is %s on %s: use `thread %s`" % (
                    goid, _status_names().get(st, "running"), _m_desc(g["m"].dereference()),
                    self._thread_num(g) or "N"))
            raise MnError("mnthread: G %d is running but has no M" % goid)
        if st in (S["idle"], S["dead"]):
            raise MnError("mnthread: G %d is %s: no stack to show" % (goid, _status_names().get(st)))
        regs = _saved_regs(g)
        if not gdb.selected_inferior().threads():
            raise MnError("mnthread: no thread to borrow registers from")
        if not _with_registers(regs, cmd):
            if not re.match(r"(bt|backtrace|where)\b", cmd):
                raise MnError("mnthread: registers cannot be written here (core file): only bt works")
            _with_unwinder(regs, cmd)

    @staticmethod
    def _thread_num(g):
        th = _gdb_thread_of(int(g["m"]["tid"]))
        return str(th.num) if th else None


InfoMnthreads()
Mnthread()
