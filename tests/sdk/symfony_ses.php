<?php
// symfony_ses.php - send one message through Symfony Mailer's Amazon SES
// API transport (Debian's php-symfony-amazon-mailer, AsyncAws underneath)
// to swerved's SES-compatible endpoint.
//
// Environment: SES_HOST (127.0.0.1:port), SES_AKID, SES_SECRET, SES_FROM.
// Prints one JSON line: {"ok": true, "id": ...} or {"ok": false,
// "class": ..., "message": ...}.
//
// The least possible change: Symfony's transport factory only builds
// https:// endpoints from a DSN, so the transport is built from the same
// classes the factory uses, with the endpoint http://SES_HOST.

require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mailer/Bridge/Amazon/autoload.php';
require_once '/usr/share/php/Symfony/Component/HttpClient/autoload.php';

use AsyncAws\Core\Configuration;
use AsyncAws\Ses\SesClient;
use Symfony\Component\Mailer\Bridge\Amazon\Transport\SesApiAsyncAwsTransport;
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mime\Email;

$client = new SesClient(Configuration::create([
    'accessKeyId' => getenv('SES_AKID'),
    'accessKeySecret' => getenv('SES_SECRET'),
    'region' => 'eu-west-1',
    'endpoint' => 'http://' . getenv('SES_HOST'),
]));
$transport = new SesApiAsyncAwsTransport($client);

$png = base64_decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==');
$email = (new Email())
    ->from(getenv('SES_FROM'))
    ->to('rcpt@example.net')
    ->subject('Grüße aus Köln — 件名 ✓')
    ->text("Hello from the SDK test.\nZeile zwei: äöü ß ✓\n")
    ->html('<p>Hello <b>HTML</b> äöü ✓</p><img src="cid:logo.png">')
    ->attach("%PDF-1.4\n% binary: \x00\x01\x02\xff\xfe\n%%EOF\n", 'report.pdf', 'application/pdf');
// Symfony replaces "cid:logo.png" in the HTML by the Content-ID it
// makes up for the embedded part.
$email->embed($png, 'logo.png', 'image/png');
try {
    $sent = $transport->send($email);
    echo json_encode(['ok' => true, 'id' => $sent->getMessageId()]), "\n";
} catch (\Throwable $e) {
    echo json_encode(['ok' => false, 'class' => get_class($e), 'message' => $e->getMessage()]), "\n";
}
