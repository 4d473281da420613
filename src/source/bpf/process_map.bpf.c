// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// process_map.bpf.c: the in-kernel half of ProcessMap's BPF path (see source/process_map_bpf.cpp).
//
// An iter/task_file program: reading the iterator's fd runs it once per (task, fd, file) of the
// machine; for every socket held by a thread-group leader it writes one fixed 32-byte record
// (struct socket_owner_record below) into the seq_file, so user space reads socket owners in large
// read()s with no path lookup (the readlink of /proc/PID/fd/N builds "socket:[N]" through d_path
// for every descriptor, which is most of the /proc walk's kernel time).
//
// No vmlinux.h and no libbpf headers: the few kernel structs are declared here with only the
// fields read, and preserve_access_index makes every access a CO-RE relocation that libbpf
// resolves against the running kernel's BTF (/sys/kernel/btf/vmlinux) at load time.
//
// Compiled at build time by clang -target bpf -O2 -g (CMakeLists.txt) and embedded in
// tcpscope_source as a byte array.

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;

#define SEC(name) __attribute__((section(name), used))
#define CORE __attribute__((preserve_access_index))

// From include/uapi/linux/magic.h and include/uapi/linux/stat.h.
#define SOCKFS_MAGIC 0x534F434B
#define S_IFMT 00170000
#define S_IFSOCK 0140000

struct seq_file;

struct bpf_iter_meta {
  struct seq_file* seq;
} CORE;

struct super_block {
  unsigned long s_magic;
} CORE;

struct inode {
  unsigned short i_mode;
  struct super_block* i_sb;
  unsigned long i_ino;
} CORE;

struct file {
  struct inode* f_inode;
} CORE;

struct task_struct {
  int pid;
  int tgid;
  char comm[16];
} CORE;

// The iterator's context (kernel/bpf/task_iter.c, DEFINE_BPF_ITER_FUNC(task_file, ...)); the
// unions stand for the kernel's __bpf_md_ptr (a pointer padded to 64 bits).
struct bpf_iter__task_file {
  union {
    struct bpf_iter_meta* meta;
  };
  union {
    struct task_struct* task;
  };
  __u32 fd;
  union {
    struct file* file;
  };
} CORE;

// One record per socket descriptor; user space reads the same layout (Record in
// process_map_bpf.cpp; keep the two in step).
struct socket_owner_record {
  __u64 ino;
  __s32 tgid;
  __s32 fd;
  char comm[16];
};

// Helper ids from include/uapi/linux/bpf.h (stable ABI).
static long (*bpf_seq_write)(struct seq_file* m, const void* data, __u32 len) = (void*)127;

SEC("iter/task_file")
int tcpscope_socket_owners(struct bpf_iter__task_file* ctx) {
  struct task_struct* task = ctx->task;
  struct file* file = ctx->file;
  if (task == 0 || file == 0) return 0;  // the final call, after the last file
  // /proc lists thread-group leaders only, and /proc/PID/fd shows the leader's table. The
  // kernel already skips threads that share their leader's table (task_seq_get_next with
  // skip_if_dup_files); a thread with its own table (unshare(CLONE_FILES)) is not shown by
  // /proc either, so skip every non-leader.
  if (task->pid != task->tgid) return 0;
  struct inode* inode = file->f_inode;
  if (inode == 0) return 0;
  if ((inode->i_mode & S_IFMT) != S_IFSOCK) return 0;
  // An O_PATH descriptor of a socket file on disk is S_IFSOCK too, but /proc shows its path,
  // not socket:[N]: only sockfs inodes count.
  struct super_block* sb = inode->i_sb;
  if (sb == 0 || sb->s_magic != SOCKFS_MAGIC) return 0;

  struct socket_owner_record rec;
  rec.ino = inode->i_ino;
  rec.tgid = task->tgid;
  rec.fd = (__s32)ctx->fd;
  // Two direct 8-byte loads (the verifier allows any access within a scalar array of a
  // trusted BTF pointer), cheaper than a bpf_probe_read_kernel call per socket.
  __builtin_memcpy(rec.comm, task->comm, sizeof rec.comm);
  bpf_seq_write(ctx->meta->seq, &rec, sizeof rec);
  return 0;
}

// bpf_seq_write is a GPL-only helper: the kernel refuses it to programs whose license string
// is not GPL-compatible. This program is dual-licensed so that it can call it.
char LICENSE[] SEC("license") = "Dual BSD/GPL";
