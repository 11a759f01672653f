/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* libumf.c -- library init/teardown reference counting and version */
#include <pthread.h>

#include <umf.h>

#include "core/fork_internal.h"
#include "core/libumf_internal.h"
#include "core/pool_check_internal.h"
#include "core/tracker_internal.h"
#include "topology/memspace_internal.h"
#include "topology/topology_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* One mutex orders init against teardown (the reference's bare atomic let
 * a second caller run ahead of a half-initialised library). */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long refcount;
static unsigned long generation;
static bool initialized; /* read without the lock on fast paths */

unsigned long umf_generation(void) {
    return utils_atomic_load_acquire(&generation);
}

bool umf_is_stale(unsigned long gen) {
    return gen != utils_atomic_load_acquire(&generation) ||
           !utils_atomic_load_acquire(&initialized);
}

void umf_ensure_initialized(void) {
    if (UMF_LIKELY(utils_atomic_load_acquire(&initialized))) {
        return;
    }
    /* Reached before the constructor ran, or after the last teardown: take
     * a reference that the library destructor gives back. */
    umfInit();
}

UMF_EXPORT int umfInit(void) {
    int ret = 0;
    /* before init_lock: registering takes the fork registry's lock, which
     * the fork prepare handler holds while it takes init_lock */
    umf_fork_install();
    pool_check_init();
    pthread_mutex_lock(&init_lock);
    if (refcount == 0) {
        utils_log_init();
        if (tracker_init() != UMF_RESULT_SUCCESS) {
            LOG_FATAL("cannot initialise the allocation tracker");
            ret = -1;
        } else {
            utils_atomic_store_release(&initialized, true);
            LOG_DEBUG("libumf initialised");
        }
    }
    if (ret == 0) {
        refcount++;
    }
    pthread_mutex_unlock(&init_lock);
    return ret;
}

UMF_EXPORT void umfTearDown(void) {
    pthread_mutex_lock(&init_lock);
    if (refcount == 0) {
        pthread_mutex_unlock(&init_lock);
        LOG_WARN("umfTearDown called more often than umfInit; ignored");
        return;
    }
    if (--refcount == 0) {
        LOG_DEBUG("libumf tearing down");
        utils_atomic_store_release(&initialized, false);
        utils_fetch_add(&generation, 1);
        tracker_destroy();
        memspace_predefined_destroy();
        umf_topology_destroy();
    }
    pthread_mutex_unlock(&init_lock);
}

/* fork(2): held across fork, released in both processes by the forking
 * thread (the child has that thread only) */
void umf_init_fork_prepare(void *arg) {
    (void)arg;
    pthread_mutex_lock(&init_lock);
}

void umf_init_fork_parent(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&init_lock);
}

void umf_init_fork_child(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&init_lock);
}

UMF_EXPORT int umfGetCurrentVersion(void) { return UMF_VERSION_CURRENT; }
