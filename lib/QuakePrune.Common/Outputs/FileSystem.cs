using System.Runtime.InteropServices;

namespace QuakePrune.Outputs;

/// <summary>
/// The identity of a file system object: device and inode, so two paths to one file (a hard link) compare equal.
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode);

/// <summary>The kinds of file system object; only regular files and folders may be outputs.</summary>
public enum FileKind
{
    RegularFile,
    Folder,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
    Other,
}

/// <summary>
/// The few POSIX calls .NET does not expose that publishing needs: statx (device and inode, for hard links; the kind of
/// object), renameat2 with RENAME_NOREPLACE (a rename that fails if the target appeared), and kill(pid, 0) (is a
/// process alive).
/// </summary>
public static partial class FileSystem
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const uint NoReplaceFlag = 1;
    private const int EExist = 17;
    private const int ENotEmpty = 39;
    private const int EPerm = 1;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    /// <summary>Device and inode of a path (not following a final symlink), or null when it does not exist.</summary>
    public static unsafe FileIdentity? Identity(string path)
    {
        var buffer = stackalloc byte[256];
        return statx(AtFdCwd, path, AtSymlinkNoFollow, StatxIno, buffer) == 0 ? Read(buffer) : null;
    }

    /// <summary>Device and inode of an open file.</summary>
    public static unsafe FileIdentity? Identity(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var buffer = stackalloc byte[256];
        return statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxIno, buffer) == 0 ? Read(buffer) : null;
    }

    /// <summary>What kind of object a path names, following symbolic links; null when nothing is there.</summary>
    public static unsafe FileKind? Kind(string path)
    {
        var buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            return null;
        // stx_mode (u16) lies at offset 28; its S_IFMT bits give the type.
        return (*(ushort*)(buffer + 28) & 0xF000) switch
        {
            0x8000 => FileKind.RegularFile,
            0x4000 => FileKind.Folder,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
    }

    private static unsafe FileIdentity Read(byte* buffer)
    {
        // struct statx is 256 bytes on every architecture: stx_ino at 32, stx_dev_major/minor at 136/140.
        var inode = *(ulong*)(buffer + 32);
        var device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        return new FileIdentity(device, inode);
    }

    /// <summary>
    /// Renames <paramref name="source"/> to <paramref name="target"/>, failing (false) if the target exists at that
    /// moment.
    /// </summary>
    public static bool RenameNoReplace(string source, string target)
    {
        if (renameat2(AtFdCwd, source, AtFdCwd, target, NoReplaceFlag) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is EExist or ENotEmpty)
            return false;
        throw new IOException($"cannot rename '{source}' to '{target}': {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>Whether a process with this id is running (a process of another user counts as running).</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0)
            return false;
        if (kill(pid, 0) == 0)
            return true;
        return Marshal.GetLastPInvokeError() == EPerm;
    }

    /// <summary>
    /// The path with every symbolic link resolved, '.' and '..' applied, for a path that may not exist yet: the longest
    /// existing ancestor is resolved and the rest appended.
    /// </summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var missing = new Stack<string>();
        var current = full;
        for (var hops = 0; ; hops++)
        {
            if (hops > 64)
                throw new IOException($"'{path}': too many levels of symbolic links");
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                var target = info.LinkTarget;
                current = Path.GetFullPath(
                    Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(current)!, target)
                );
                continue;
            }
            if (info.Exists || Directory.Exists(current))
            {
                var parent = Path.GetDirectoryName(current);
                if (parent is null)
                    break;
                var resolvedParent = RealPath(parent);
                current = Path.Combine(resolvedParent, Path.GetFileName(current));
                break;
            }
            var up = Path.GetDirectoryName(current);
            if (up is null)
                break;
            missing.Push(Path.GetFileName(current));
            current = up;
        }
        while (missing.Count > 0)
            current = Path.Combine(current, missing.Pop());
        return current;
    }
}
