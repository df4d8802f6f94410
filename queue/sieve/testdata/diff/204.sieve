# 204: body of a base64 single part
require ["fileinto", "body"];
if body :contains "invoice number is 42" { fileinto "Invoice"; }
