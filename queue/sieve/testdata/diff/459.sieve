# 459: fileinto mailbox names differing in case are two mailboxes
require "fileinto";
fileinto "Work";
fileinto "work";
