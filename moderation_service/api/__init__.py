"""HTTP adapters: request/response schemas, handlers, authentication and error middlewares."""
