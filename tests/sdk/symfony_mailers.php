<?php
// symfony_mailers.php - send one message through one of Symfony Mailer's
// Mailgun or Postmark bridges (Debian's php-symfony-mailgun-mailer and
// php-symfony-postmark-mailer) to swerved's drop-in endpoint.
//
// Environment: TRANSPORT (mailgun+api: POST /v3/DOMAIN/messages, whose
// file parts Symfony names attachment[0], inline[0]; mailgun+https:
// POST /v3/DOMAIN/messages.mime, tags and metadata as X-Mailgun-* header
// fields; postmark+api: POST /email), SW_HOST (127.0.0.1:port), SW_KEY,
// SW_FROM. Prints one JSON line: {"ok": true, "id": ...} or
// {"ok": false, "class": ..., "message": ...}.
//
// The least possible change: the bridges only speak https://, so the
// transport gets an HTTP client that sends the same request to http://
// SW_HOST; the host is the bridge's own setHost().

require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mailer/Bridge/Mailgun/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mailer/Bridge/Postmark/autoload.php';
require_once '/usr/share/php/Symfony/Component/HttpClient/autoload.php';

use Symfony\Component\HttpClient\DecoratorTrait;
use Symfony\Component\HttpClient\HttpClient;
use Symfony\Component\Mailer\Bridge\Mailgun\Transport\MailgunApiTransport;
use Symfony\Component\Mailer\Bridge\Mailgun\Transport\MailgunHttpTransport;
use Symfony\Component\Mailer\Bridge\Postmark\Transport\PostmarkApiTransport;
use Symfony\Component\Mailer\Header\MetadataHeader;
use Symfony\Component\Mailer\Header\TagHeader;
use Symfony\Component\Mime\Email;
use Symfony\Contracts\HttpClient\HttpClientInterface;
use Symfony\Contracts\HttpClient\ResponseInterface;

// PlainHttp - the bridge's requests, to http:// instead of https://.
final class PlainHttp implements HttpClientInterface
{
    use DecoratorTrait;

    public function request(string $method, string $url, array $options = []): ResponseInterface
    {
        return $this->client->request($method, preg_replace('#^https://#', 'http://', $url), $options);
    }
}

$client = new PlainHttp(HttpClient::create());
$key = getenv('SW_KEY');
switch (getenv('TRANSPORT')) {
case 'mailgun+api':
    $transport = new MailgunApiTransport($key, 'mg.example.com', null, $client);
    break;
case 'mailgun+https':
    $transport = new MailgunHttpTransport($key, 'mg.example.com', null, $client);
    break;
case 'postmark+api':
    $transport = new PostmarkApiTransport($key, $client);
    break;
default:
    fwrite(STDERR, "unknown TRANSPORT\n");
    exit(2);
}
$transport->setHost(getenv('SW_HOST'));

$png = base64_decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==');
$email = (new Email())
    ->from(getenv('SW_FROM'))
    ->to('rcpt@example.net')
    ->subject('Grüße aus Köln — 件名 ✓')
    ->text("Hello from the SDK test.\nZeile zwei: äöü ß ✓\n")
    ->html('<p>Hello <b>HTML</b> äöü ✓</p><img src="cid:logo.png">')
    ->attach("%PDF-1.4\n% binary: \x00\x01\x02\xff\xfe\n%%EOF\n", 'report.pdf', 'application/pdf')
    ->embed($png, 'logo.png', 'image/png');
$email->getHeaders()->add(new TagHeader('welcome'));
$email->getHeaders()->add(new MetadataHeader('user-id', '42'));
try {
    $sent = $transport->send($email);
    echo json_encode(['ok' => true, 'id' => $sent->getMessageId()]), "\n";
} catch (\Throwable $e) {
    echo json_encode(['ok' => false, 'class' => get_class($e), 'message' => $e->getMessage()]), "\n";
}
