"""The OpenAI-compatible chat API (ASGI): one app for AWS Lambda (via the Lambda Web Adapter) and ``make local``.

``chat_api.app.create_app(settings)`` builds the Starlette app; adapters (record storage S3 / local folder,
conversations DynamoDB / SQLite, the model backend) are chosen from :class:`chat_api.settings.ChatSettings`.
``chat_api.app:app`` is the module-level app built from the environment (what ``run.sh`` serves on Lambda).
"""
