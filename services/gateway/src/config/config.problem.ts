/** One problem in a config file, with the path in KrakenD's notation (`endpoints[3].backend[0].url_pattern`). */
export interface ConfigProblem {
  path: string;
  message: string;
}
