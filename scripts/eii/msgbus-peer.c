/*
 * eii-msgbus-peer: an EII service's first publisher or subscriber, as EII's own code makes it: ConfigMgr reads the
 * app's interface from etcd (cfgmgr_initialize(), from the environment like every EII service), hands its message
 * bus config with the CURVE keys, and EII's message bus library (libeiimsgbus) publishes or receives with it.
 * Built by scripts/eii/build.sh beside configmgr-probe; the EII layout's integration test runs a publisher and a
 * subscriber with only what the stack wrote.
 *
 * usage: eii-msgbus-peer pub|sub [seconds [index]]   (default 20 s, the app's first publisher/subscriber: 0)
 *   pub: prints "publishing on <topic>" once its publisher is up, then publishes {"text": "hello from <AppName>", "n": i}
 *        on the interface's first topic every 100 ms for `seconds`.
 *   sub: waits up to `seconds` for one message on the interface's first topic, prints "received: <text>".
 * exit: 0 ok, 1 ConfigMgr failed, 2 the message bus failed, 3 sub: no message in time.
 * cfgmgr_destroy() is not called (upstream use after free: ../shared/eii/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <eii/msgbus/msgbus.h>
#include <eii/utils/logger.h>
#include <eii/config_manager/cfgmgr.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc < 2 || (strcmp(argv[1], "pub") != 0 && strcmp(argv[1], "sub") != 0)) {
        fprintf(stderr, "usage: eii-msgbus-peer pub|sub [seconds [index]]\n");
        return 64;
    }
    int pub = strcmp(argv[1], "pub") == 0;
    double seconds = argc > 2 ? atof(argv[2]) : 20;
    int index = argc > 3 ? atoi(argv[3]) : 0;
    set_log_level(LOG_LVL_ERROR);

    cfgmgr_ctx_t* cm = cfgmgr_initialize();
    if (cm == NULL) { fprintf(stderr, "eii-msgbus-peer: cfgmgr_initialize() failed\n"); return 1; }
    cfgmgr_interface_t* iface = pub ? cfgmgr_get_publisher_by_index(cm, index) : cfgmgr_get_subscriber_by_index(cm, index);
    if (iface == NULL) { fprintf(stderr, "eii-msgbus-peer: no %s interface [%d]\n", argv[1], index); return 1; }
    config_value_t* topics = cfgmgr_get_topics(iface);
    config_value_t* first = topics ? config_value_array_get(topics, 0) : NULL;
    if (first == NULL || first->type != CVT_STRING) { fprintf(stderr, "eii-msgbus-peer: no topic\n"); return 1; }
    const char* topic = first->body.string;
    config_t* mb = cfgmgr_get_msgbus_config(iface);
    if (mb == NULL) { fprintf(stderr, "eii-msgbus-peer: cfgmgr_get_msgbus_config() failed\n"); return 1; }

    void* bus = msgbus_initialize(mb);
    if (bus == NULL) { fprintf(stderr, "eii-msgbus-peer: msgbus_initialize() failed\n"); return 2; }
    double deadline = now() + seconds;
    if (pub) {
        publisher_ctx_t* p = NULL;
        if (msgbus_publisher_new(bus, topic, &p) != MSG_SUCCESS) { fprintf(stderr, "eii-msgbus-peer: publisher_new failed\n"); return 2; }
        printf("publishing on %s\n", topic); /* the caller waits for this line: ConfigMgr and the bus are up */
        fflush(stdout);
        char text[128];
        snprintf(text, sizeof(text), "hello from %s", getenv("AppName") ? getenv("AppName") : "?");
        int n = 0;
        for (; now() < deadline; n++) {
            msg_envelope_t* msg = msgbus_msg_envelope_new(CT_JSON);
            msgbus_msg_envelope_put(msg, "text", msgbus_msg_envelope_new_string(text));
            msgbus_msg_envelope_put(msg, "n", msgbus_msg_envelope_new_integer(n));
            if (msgbus_publisher_publish(bus, p, msg) != MSG_SUCCESS) { fprintf(stderr, "eii-msgbus-peer: publish failed\n"); return 2; }
            msgbus_msg_envelope_destroy(msg);
            usleep(100000);
        }
        printf("published: %d on %s\n", n, topic);
        fflush(stdout);
        return 0;
    }
    recv_ctx_t* s = NULL;
    if (msgbus_subscriber_new(bus, topic, NULL, &s) != MSG_SUCCESS) { fprintf(stderr, "eii-msgbus-peer: subscriber_new failed\n"); return 2; }
    while (now() < deadline) {
        msg_envelope_t* msg = NULL;
        msgbus_ret_t ret = msgbus_recv_timedwait(bus, s, 250, &msg);
        if (ret == MSG_RECV_NO_MESSAGE || ret == MSG_ERR_EINTR) continue;
        if (ret != MSG_SUCCESS) { fprintf(stderr, "eii-msgbus-peer: recv failed (%d)\n", ret); return 2; }
        msg_envelope_elem_body_t* body = NULL;
        if (msgbus_msg_envelope_get(msg, "text", &body) == MSG_SUCCESS && body->type == MSG_ENV_DT_STRING)
            printf("received: %s on %s\n", body->body.string, topic);
        else
            printf("received: <a message without text> on %s\n", topic);
        fflush(stdout);
        return 0;
    }
    fprintf(stderr, "eii-msgbus-peer: no message on %s within %.0f s\n", topic, seconds);
    return 3;
}
