# 210: body :content multipart
require ["fileinto", "body"];
if body :content "multipart" :contains "This is a multi-part message" { fileinto "Preamble"; } else { fileinto "No"; }
