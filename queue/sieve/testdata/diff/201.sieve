# 201: body :content text matches all text subtypes
require ["fileinto", "body"];
if body :content "text" :contains "html-only-marker" { fileinto "AnyText"; }
