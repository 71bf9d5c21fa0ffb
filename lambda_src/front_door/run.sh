#!/bin/sh
# Lambda handler of the chat API (Lambda Web Adapter layer, AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap): the adapter's
# wrapper executes this script, then forwards each API Gateway event to http://127.0.0.1:$PORT as an HTTP request
# and streams the response back (AWS_LWA_INVOKE_MODE=response_stream). Settings come from the environment
# (chat_api.settings.ChatSettings.from_env).
cd "$(dirname "$0")" || exit 1
exec python -m uvicorn chat_api.app:app --host 127.0.0.1 --port "${PORT:-8000}" --no-access-log \
  --timeout-graceful-shutdown 2 --log-level warning
