# 202: body :content text/plain does not see html
require ["fileinto", "body"];
if body :content "text/plain" :contains "html-only-marker" { fileinto "Plain"; } else { fileinto "NotPlain"; }
