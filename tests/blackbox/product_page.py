"""product_page.py: the product page's Python code, steps 1-3, as one
function that other tests reuse (the black-box client test, the container
image test, the Python test helper's tests).

The page's lines are kept as written; only the base URL is a parameter
(the page has https://api.user.cleaning) and the 5 s poll is shortened and
bounded. `requests` is the module or any Session-like object, so a test can
pass a checked or retrying session."""
import contextlib
import os
import time


def run_steps(requests, base, workdir, poll=0.02, timeout=120):
    """Run the page's three steps in workdir, which must hold emails.csv,
    with the key in $USER_CLEANING_API_KEY; results.csv is written there.
    Returns (task_id, download_url)."""
    with contextlib.chdir(workdir):
        # Step 1: Submit your file
        resp = requests.post(
            f"{base}/v1/external-api-requests/batch-check-emails",
            headers={"X-API-Key": os.environ["USER_CLEANING_API_KEY"]},
            files={"file": open("emails.csv", "rb")},
            data={"project_name": "my-list"}
        )
        task_id = resp.json()["task_id"]

        # Step 2: Monitor processing status
        deadline = time.time() + timeout
        while True:
            status = requests.get(
                f"{base}/v1/external-api-requests/batch-check-status/{task_id}",
                headers={"X-API-Key": os.environ["USER_CLEANING_API_KEY"]}
            ).json()["status"]
            if status == "completed":
                break
            assert status == 'processing' and time.time() < deadline, status
            time.sleep(poll)

        # Step 3: Download your results
        url = requests.get(
            f"{base}/v1/external-api-requests/batch-task-download/{task_id}",
            headers={"X-API-Key": os.environ["USER_CLEANING_API_KEY"]}
        ).json()["download_url"]
        open("results.csv", "wb").write(requests.get(url).content)
    return task_id, url
