import { DynamicModule, Module } from '@nestjs/common';
import { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { LoggerSettings, loggerOptions } from './create-logger';
import { redactQuery, redactUrl } from './redact-url';
import { newRequestId } from './request-context';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** nestjs-pino with the project's JSON format; HTTP requests keep a caller's x-request-id. */
@Module({})
export class LoggingModule {
  static forRoot(settings: LoggerSettings): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            ...loggerOptions(settings),
            genReqId: (req: IncomingMessage) => {
              const given = req.headers['x-request-id'];
              return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
            },
            // Lines written during a request carry `reqId`, like every other line, not the whole request.
            quietReqLogger: true,
            // A token or key put in a URL never reaches a log line (pino-http passes the serialized request).
            serializers: {
              req: (req: { url?: unknown; query?: unknown }) => {
                if (typeof req.url === 'string') req.url = redactUrl(req.url);
                if (req.query !== undefined) req.query = redactQuery(req.query);
                return req;
              },
            },
            // Probes and scrapes every few seconds would drown the useful lines.
            autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)/.test(req.url ?? '') },
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}

/** The request-aware pino logger Nest injects (`@Optional() log?: PinoLogger`), for guarded debug lines. */
export { PinoLogger } from 'nestjs-pino';
