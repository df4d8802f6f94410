# 200: body :content text/html
require ["fileinto", "body"];
if body :content "text/html" :contains "html-only-marker" { fileinto "Html"; }
