/*
 * The Argon2id job queue.  A job owns a copy of the password in
 * sodium_malloc'd memory (locked, wiped on free).  Jobs start in FIFO
 * order as slots free up; the callback runs on the loop thread.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "log.h"
#include "pwhash.h"
#include "xmalloc.h"

struct pwhash_job {
	uv_work_t		 work;
	struct pwhash_job	*next;
	char			*password;	/* sodium_malloc */
	char			*hash;		/* verify: the stored hash */
	char			 out[crypto_pwhash_STRBYTES];
	int			 verify;
	int			 ok;
	pwhash_hash_cb		 hash_cb;
	pwhash_verify_cb	 verify_cb;
	void			*arg;
};

static struct pwhash_job	*pwhash_head, **pwhash_tail = &pwhash_head;
static size_t			 pwhash_waiting, pwhash_running;
static unsigned long long	 pwhash_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t			 pwhash_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

/* Set the cost (tests use the minimum to run fast). */
void
pwhash_init(unsigned long long ops, size_t mem)
{
	pwhash_ops = ops;
	pwhash_mem = mem;
}

size_t
pwhash_pending(void)
{
	return pwhash_waiting + pwhash_running;
}

static void
pwhash_work(uv_work_t *w)
{
	struct pwhash_job	*j = w->data;

	if (j->verify)
		j->ok = crypto_pwhash_str_verify(j->hash, j->password,
		    strlen(j->password)) == 0;
	else
		j->ok = crypto_pwhash_str(j->out, j->password,
		    strlen(j->password), pwhash_ops, pwhash_mem) == 0;
}

static void	pwhash_start(void);

static void
pwhash_after(uv_work_t *w, int status)
{
	struct pwhash_job	*j = w->data;

	pwhash_running--;
	if (status != 0)
		j->ok = 0;
	if (j->verify)
		j->verify_cb(j->arg, j->ok);
	else
		j->hash_cb(j->arg, j->ok ? j->out : NULL);
	sodium_free(j->password);
	free(j->hash);
	sodium_memzero(j->out, sizeof j->out);
	free(j);
	pwhash_start();
}

static void
pwhash_start(void)
{
	struct pwhash_job	*j;

	while (pwhash_running < PWHASH_JOBS && pwhash_head != NULL) {
		j = pwhash_head;
		pwhash_head = j->next;
		if (pwhash_head == NULL)
			pwhash_tail = &pwhash_head;
		pwhash_waiting--;
		pwhash_running++;
		log_debug("pwhash: %s started, %zu running, %zu waiting",
		    j->verify ? "check" : "hash", pwhash_running,
		    pwhash_waiting);
		j->work.data = j;
		if (uv_queue_work(uv_default_loop(), &j->work, pwhash_work,
		    pwhash_after) != 0) {
			j->ok = 0;
			pwhash_after(&j->work, -1);
		}
	}
}

static int
pwhash_enqueue(struct pwhash_job *j, const char *password)
{
	size_t	n = strlen(password);

	if (pwhash_waiting >= PWHASH_QUEUE) {
		free(j->hash);
		free(j);
		return -1;
	}
	if ((j->password = sodium_malloc(n + 1)) == NULL)
		fatalx("sodium_malloc");
	memcpy(j->password, password, n + 1);
	*pwhash_tail = j;
	pwhash_tail = &j->next;
	pwhash_waiting++;
	pwhash_start();
	return 0;
}

/*
 * Hash password; cb(arg, encoded) later on the loop (encoded is NULL on
 * failure and valid only during the call).  Returns -1 if the queue is
 * full (nothing is called then).
 */
int
pwhash_hash(const char *password, pwhash_hash_cb cb, void *arg)
{
	struct pwhash_job	*j = xcalloc(1, sizeof *j);

	j->hash_cb = cb;
	j->arg = arg;
	return pwhash_enqueue(j, password);
}

/* Check password against an encoded hash; cb(arg, ok) later. */
int
pwhash_verify(const char *hash, const char *password, pwhash_verify_cb cb,
    void *arg)
{
	struct pwhash_job	*j = xcalloc(1, sizeof *j);

	j->verify = 1;
	j->hash = xstrdup(hash);
	j->verify_cb = cb;
	j->arg = arg;
	return pwhash_enqueue(j, password);
}

/* Hash on the calling thread (command-line tools).  0 or -1. */
int
pwhash_hash_sync(const char *password, char *out, size_t outsz)
{
	if (outsz < crypto_pwhash_STRBYTES)
		return -1;
	return crypto_pwhash_str(out, password, strlen(password), pwhash_ops,
	    pwhash_mem) == 0 ? 0 : -1;
}
