import { Link } from "react-router-dom";

export default function NotFound() {
  return (
    <div className="page narrow">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link to="/chat">Go to the chat</Link>
    </div>
  );
}
