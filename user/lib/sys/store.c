// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The instance's files under its run dir: state.json (read whole, written by
 * atomic rename), the lock every mutating command holds, the intent journal's
 * records in the state, and the temp files a killed save leaves behind.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "sys/fsutil.h"
#include "sys/store.h"

/* Attempts to lock an instance whose lock file a concurrent unlock keeps removing. */
#define LOCK_TRIES 16
/* write_file_atomic()'s temp files: "<file>.tmp.<pid>" */
#define STATE_TEMP_PREFIX "state.json.tmp."

static void state_path(const struct bpfnet *bn, char *buf, size_t len)
{
	snprintf(buf, len, "%s/state.json", bn->run_dir);
}

int state_load(struct bpfnet *bn, struct state *st)
{
	char path[PATH_MAX + 16];
	json_error_t jerr;
	json_t *root;
	char *text;
	int err;

	memset(st, 0, sizeof(*st));
	state_path(bn, path, sizeof(path));
	err = read_file(path, &text, STATE_FILE_MAX);
	if (err == -ENOENT)
		return 0;
	if (err)
		return bn_fail(bn, err, "cannot read %s: %s", path, strerror(-err));
	root = json_loads(text, 0, &jerr);
	free(text);
	if (!root)
		return bn_fail(bn, -EUCLEAN, "%s is corrupt: %s (line %d)", path, jerr.text,
			       jerr.line);
	err = state_from_json(root, st);
	json_decref(root);
	if (err) {
		/* EUCLEAN, not the parser's EINVAL: no argument of the caller was wrong */
		if (err == -EINVAL)
			err = -EUCLEAN;
		state_free(st);
		return bn_fail(bn, err, "%s is corrupt or from another version", path);
	}
	return 0;
}

int state_save(struct bpfnet *bn, const struct state *st)
{
	char path[PATH_MAX + 16];
	json_t *root = state_to_json(st);
	char *text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	int err;

	json_decref(root);
	if (!text)
		return bn_fail(bn, -ENOMEM, "cannot encode state");
	state_path(bn, path, sizeof(path));
	err = write_file_atomic(path, text, strlen(text));
	free(text);
	if (err)
		return bn_fail(bn, err, "cannot write %s: %s", path, strerror(-err));
	return 0;
}

int state_unlink(struct bpfnet *bn)
{
	char path[PATH_MAX + 16];

	state_path(bn, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		return bn_fail(bn, -errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int state_remove(struct bpfnet *bn)
{
	int err;

	bn_unlock(bn);
	err = remove_flat_dir(bn->run_dir);
	if (!err)
		rmdir_parent(bn->run_dir);
	return err;
}

int journal_record(struct bpfnet *bn, struct state *st, const struct journal *j)
{
	int err;

	journal_free(&st->journal);
	err = journal_copy(&st->journal, j);
	if (err)
		return bn_fail(bn, err, "out of memory");
	st->journal.pid = getpid();
	err = state_save(bn, st);
	if (err)
		journal_free(&st->journal);	/* not on disk: nothing is pending */
	return err;
}

int journal_commit(struct bpfnet *bn, struct state *st)
{
	journal_free(&st->journal);
	return state_save(bn, st);
}

/* Save @st with nothing pending; an instance left with nothing in it keeps no state file. */
int state_save_settled(struct bpfnet *bn, struct state *st)
{
	journal_free(&st->journal);
	return state_is_empty(st) ? state_unlink(bn) : state_save(bn, st);
}

void journal_abandon(struct bpfnet *bn, struct state *st)
{
	char msg[sizeof(bn->errmsg)];

	memcpy(msg, bn->errmsg, sizeof(msg));
	/* if even this fails the entry stays on disk, and the next command undoes it again */
	state_save_settled(bn, st);
	memcpy(bn->errmsg, msg, sizeof(msg));
}

int journal_stale_temp_files(struct bpfnet *bn, bool remove,
			     void (*found)(const char *name, void *arg), void *arg)
{
	char path[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d = opendir(bn->run_dir);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : bn_fail(bn, -errno, "cannot read %s: %s",
						     bn->run_dir, strerror(errno));
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, STATE_TEMP_PREFIX, strlen(STATE_TEMP_PREFIX)))
			continue;
		if (found)
			found(de->d_name, arg);
		snprintf(path, sizeof(path), "%s/%s", bn->run_dir, de->d_name);
		if (remove && unlink(path) < 0 && errno != ENOENT && !err)
			err = bn_fail(bn, -errno, "cannot remove %s: %s", path, strerror(errno));
	}
	closedir(d);
	return err;
}

/* Is @fd still the file at @path? An unlock that removed an empty instance unlinks it. */
static bool lock_is_current(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int lock_once(struct bpfnet *bn, const char *path, int *out)
{
	int err, fd;

	err = mkdir_p(bn->run_dir, 0755);
	if (err)
		return bn_fail(bn, err, "cannot create state dir %s: %s", bn->run_dir, strerror(-err));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		return bn_fail(bn, err, "cannot open lock %s: %s", path, strerror(-err));
	}
	if (flock(fd, LOCK_EX) < 0) {
		err = -errno;
		close(fd);
		return bn_fail(bn, err, "cannot lock %s: %s", path, strerror(-err));
	}
	*out = fd;
	return 0;
}

int bn_lock(struct bpfnet *bn)
{
	char path[PATH_MAX + 8];
	int err, fd = -1;

	snprintf(path, sizeof(path), "%s/lock", bn->run_dir);
	/* the holder before us may have removed the (empty) instance: lock the new file then */
	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		err = lock_once(bn, path, &fd);
		if (err)
			return err;
		if (lock_is_current(fd, path)) {
			bn->lock_fd = fd;
			return 0;
		}
		close(fd);
	}
	return bn_fail(bn, -EAGAIN, "cannot lock %s: it keeps being removed", path);
}

void bn_unlock(struct bpfnet *bn)
{
	char path[PATH_MAX + 16];

	if (bn->lock_fd < 0)
		return;
	/*
	 * A command that failed on an instance with no state leaves nothing behind:
	 * not even the lock and its directory.
	 */
	snprintf(path, sizeof(path), "%s/state.json", bn->run_dir);
	if (access(path, F_OK) && errno == ENOENT) {
		snprintf(path, sizeof(path), "%s/lock", bn->run_dir);
		unlink(path);
		rmdir(bn->run_dir);
		rmdir_parent(bn->run_dir);
	}
	close(bn->lock_fd);
	bn->lock_fd = -1;
}
