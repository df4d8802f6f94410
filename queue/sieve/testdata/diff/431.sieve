# 431: body :content text/plain on a single-part base64 message
require ["fileinto", "body"];
if body :content "text/plain" :contains "Pay by Friday" { fileinto "Pay"; }
