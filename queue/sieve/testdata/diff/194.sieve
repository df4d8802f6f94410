# 194: body :text of a multipart message sees text parts
require ["fileinto", "body"];
if body :text :contains "quarterly figures" { fileinto "Text"; }
