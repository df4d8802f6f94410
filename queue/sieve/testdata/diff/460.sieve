# 460: fileinto inbox in lower case is INBOX
require "fileinto";
fileinto "inbox";
