"""The local development stack: a tool for developers and tests, never part of the product.

It lives outside chalicelib/, so `chalice package` (infra/package.sh) leaves it out of the Lambda
bundle, and chalicelib imports nothing from it. docs/local-stack.md describes the pieces:

    run.py           `make run` / `make sweep`: starts and supervises the stack, fires the schedules
    supervisor.py    child processes (start, watch, stop by process group, reap leftovers)
    environment.py   the settings the stack hands to the API, its jobs and `--sweep-once`
    layout.py        where the stack keeps state and logs
    moto_server.py   the moto server process, with moto_patches.py applied
    moto_patches.py  patches that keep moto fast with tens of thousands of items, answers unchanged
    schedules.py     what EventBridge and the SQS event source mapping would run
    site.py          the static server of the admin site
    bootstrap.py     the table, queues, key and user pool on moto
    snapshot.py      keeping the data across restarts
    sqs_pump.py      Lambda's SQS event source mapping, for the stack and tests
    fake_wechat.py   a stand-in for the WeChat server APIs
    state.py         forgetting chalicelib's per-process caches when the settings change
    seed/            the demo clinics
"""
