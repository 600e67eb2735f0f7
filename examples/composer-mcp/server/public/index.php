<?php

// A small MCP server over Streamable HTTP for `php -S 127.0.0.1:PORT public/index.php`.
// POST /mcp speaks JSON-RPC (initialize, notifications/initialized, tools/list,
// tools/call); GET /healthz is the readiness probe. The tools' input schemas
// come from acme/schema, so an upgrade of that package changes what clients see.

declare(strict_types=1);

require __DIR__ . '/../vendor/autoload.php';

use Acme\Log\Logger;
use Acme\McpBundle\Server;
use Acme\McpSdk\Protocol;
use Acme\ReflectionDocblock\DocBlock;
use Acme\Schema\Schema;

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';

if ($path === '/healthz') {
    header('Content-Type: text/plain');
    echo "ok\n";
    return;
}
if ($path !== '/mcp') {
    http_response_code(404);
    return;
}
if ($method !== 'POST') {
    // No server-initiated SSE stream and no session teardown in this example.
    http_response_code(405);
    header('Allow: POST');
    return;
}

/** The tools: name => [handler, input schema]. Descriptions are the handlers' doc comments. */
$tools = [
    'ping' => [
        /** Answers pong; takes no arguments. */
        static fn (array $args): string => 'pong',
        Schema::object([]),
    ],
    'echo' => [
        /** Returns the text it is given. */
        static fn (array $args): string => (string) ($args['text'] ?? ''),
        Schema::object(['text' => ['type' => 'string', 'description' => 'Text to return']], ['text']),
    ],
];

$request = json_decode((string) file_get_contents('php://input'), true);
if (!is_array($request) || ($request['jsonrpc'] ?? null) !== '2.0' || !is_string($request['method'] ?? null)) {
    reply(400, ['jsonrpc' => '2.0', 'id' => null, 'error' => ['code' => -32700, 'message' => 'Parse error']]);
    return;
}
Logger::info('mcp ' . $request['method']);

if (!array_key_exists('id', $request)) {
    // A notification (notifications/initialized and friends): accepted, no body.
    http_response_code(202);
    return;
}
$id = $request['id'];
$params = is_array($request['params'] ?? null) ? $request['params'] : [];

switch ($request['method']) {
    case 'initialize':
        header('Mcp-Session-Id: ' . bin2hex(random_bytes(16)));
        reply(200, result($id, [
            'protocolVersion' => Protocol::negotiate($params['protocolVersion'] ?? null),
            'capabilities' => ['tools' => new \stdClass()],
            'serverInfo' => Server::info('acme-composer-mcp'),
        ]));
        return;
    case 'ping':
        reply(200, result($id, new \stdClass()));
        return;
    case 'tools/list':
        $list = [];
        foreach ($tools as $name => [$handler, $schema]) {
            $doc = (string) (new \ReflectionFunction($handler))->getDocComment();
            $list[] = ['name' => $name, 'description' => DocBlock::summary($doc), 'inputSchema' => $schema];
        }
        reply(200, result($id, ['tools' => $list]));
        return;
    case 'tools/call':
        $name = $params['name'] ?? null;
        if (!is_string($name) || !isset($tools[$name])) {
            reply(200, ['jsonrpc' => '2.0', 'id' => $id, 'error' => ['code' => -32602, 'message' => 'Unknown tool']]);
            return;
        }
        $args = is_array($params['arguments'] ?? null) ? $params['arguments'] : [];
        $text = $tools[$name][0]($args);
        reply(200, result($id, ['content' => [['type' => 'text', 'text' => $text]], 'isError' => false]));
        return;
    default:
        reply(200, ['jsonrpc' => '2.0', 'id' => $id, 'error' => ['code' => -32601, 'message' => 'Method not found']]);
}

function result(mixed $id, mixed $result): array
{
    return ['jsonrpc' => '2.0', 'id' => $id, 'result' => $result];
}

function reply(int $status, array $message): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($message, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
}
