#ifndef SOCC_REDIS_TEST_H
#define SOCC_REDIS_TEST_H

/*
 * A private redis-server for a test: loopback, a free port, a temp dir,
 * no persistence; stopped by its pid.  Header-only.
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct redis_test {
    pid_t pid;
    int port;
    char dir[128];
    char url[64];        /* "redis://127.0.0.1:PORT" */
};

static inline int redis_test_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static inline int redis_test_accepts(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Start redis-server on r->port (0: pick one); 0 when it accepts. */
static inline int redis_test_start(struct redis_test *r)
{
    char port[16];
    int i, devnull;

    if (!r->dir[0]) {
        snprintf(r->dir, sizeof(r->dir), "/tmp/socc-redis-XXXXXX");
        if (!mkdtemp(r->dir))
            return -1;
    }
    if (!r->port)
        r->port = redis_test_free_port();
    snprintf(port, sizeof(port), "%d", r->port);
    snprintf(r->url, sizeof(r->url), "redis://127.0.0.1:%d", r->port);
    r->pid = fork();
    if (r->pid == 0) {
        devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("redis-server", "redis-server", "--port", port, "--bind",
               "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
               r->dir, (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 200; i++) {
        if (redis_test_accepts(r->port))
            return 0;
        usleep(25000);
    }
    return -1;
}

/* Stop it (SIGTERM, then wait); the dir stays for a restart. */
static inline void redis_test_stop(struct redis_test *r)
{
    int status;

    if (r->pid > 0) {
        kill(r->pid, SIGCONT);   /* a test may have stopped it */
        kill(r->pid, SIGTERM);
        waitpid(r->pid, &status, 0);
    }
    r->pid = 0;
}

/* Stop and remove the dir. */
static inline void redis_test_end(struct redis_test *r)
{
    char path[200];

    redis_test_stop(r);
    snprintf(path, sizeof(path), "%s/dump.rdb", r->dir);
    unlink(path);
    rmdir(r->dir);
    r->dir[0] = '\0';
}

#endif
