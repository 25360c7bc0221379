export { contentSecurityPolicy, registerWebClient, type WebClientOptions, wsOrigin } from './web-routes.ts';
