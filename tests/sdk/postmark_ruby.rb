# postmark_ruby.rb - one send through the postmark gem (Debian's
# ruby-postmark), Postmark's official Ruby client, pointed at swerved with
# its host / port / secure options.
#
#   ruby postmark_ruby.rb <case>      case: send, badkey, badfield
#
# Environment: SWERVE_HOST, SWERVE_PORT, SDK_KEY, FROM, TO and MSG (JSON
# {subject, text, html, pdf, png (base64), cid}, as sdk_more.js).
# Prints one JSON line: {"ok": true, "id": ...} or {"ok": false, ...}.
require 'json'
require 'postmark'

kase = ARGV[0] || 'send'
msg = JSON.parse(ENV.fetch('MSG'))
token = kase == 'badkey' ? 'not-a-swerve-key' : ENV.fetch('SDK_KEY')
from = kase == 'badfield' ? 'sender@example.org' : ENV.fetch('FROM')
client = Postmark::ApiClient.new(token, host: ENV.fetch('SWERVE_HOST'),
                                        port: Integer(ENV.fetch('SWERVE_PORT')),
                                        secure: false, max_retries: 0)
begin
  r = client.deliver(
    from: "Sender <#{from}>", to: ENV.fetch('TO'), subject: msg['subject'],
    text_body: msg['text'], html_body: msg['html'],
    attachments: [
      { name: 'report.pdf', content: msg['pdf'], content_type: 'application/pdf' },
      { name: 'logo.png', content: msg['png'], content_type: 'image/png',
        content_id: "cid:#{msg['cid']}" }
    ])
  puts JSON.generate(ok: true, id: r[:message_id])
rescue Postmark::Error => e
  puts JSON.generate(ok: false, errorClass: e.class.name, message: e.message,
                     code: e.respond_to?(:error_code) ? e.error_code : nil)
end
